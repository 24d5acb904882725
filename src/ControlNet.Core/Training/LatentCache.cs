using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using ControlNet.Autoencoders;
using ControlNet.Checkpoints;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>
/// The VAE posterior of every training target, kept on disk so each image goes through the encoder once per VAE instead
/// of once per epoch. It stores the moments (mean, log-variance), not a latent: every step still draws its own posterior
/// sample from the step's generator, exactly as without the cache (LDM's get_first_stage_encoding), so a cached run
/// trains on the same distribution. Layout: <c>FOLDER/&lt;vae fingerprint&gt;/&lt;sha256 of the row key&gt;.safetensors</c>
/// with tensors <c>mean</c> and <c>logvar</c> (fp32, [z, h, w]); a different VAE gets another subfolder, a changed image
/// another key (<see cref="TrainingSet.Key"/>). Files are written atomically, so a killed run leaves no torn entry.
/// </summary>
public sealed class LatentCache
{
    readonly AutoencoderKL _vae;

    public LatentCache(AutoencoderKL vae, string folder)
    {
        _vae = vae;
        Folder = Path.Combine(folder, Fingerprint(vae));
        Directory.CreateDirectory(Folder);
    }

    /// <summary>The subfolder of this VAE.</summary>
    public string Folder { get; }
    public long Hits { get; private set; }
    public long Misses { get; private set; }

    /// <summary>Scaled latents [B, z, H/f, W/f] of rows <paramref name="indices"/> (targets [B, 3, H, W] in [−1, 1]); encodes and stores the misses in one batch.</summary>
    public Tensor Encode(TrainingSet data, IReadOnlyList<int> indices, Tensor targets, Generator? generator)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var paths = indices.Select(i => PathOf(data.Key(i))).ToArray();
        var means = new Tensor[paths.Length];
        var logVars = new Tensor[paths.Length];
        var missing = new List<int>();
        for (int b = 0; b < paths.Length; b++)
        {
            if (File.Exists(paths[b])) (means[b], logVars[b]) = Read(paths[b]);
            else missing.Add(b);
        }
        if (missing.Count > 0)
        {
            var (mean, logVar) = _vae.EncodeMoments(targets.index_select(0, tensor(missing.Select(b => (long)b).ToArray())));   // [M, z, h, w] each
            for (int m = 0; m < missing.Count; m++)
            {
                int b = missing[m];
                means[b] = mean[m].to_type(ScalarType.Float32);
                logVars[b] = logVar[m].to_type(ScalarType.Float32);
                SafetensorsWriter.Write(paths[b], [new InMemoryTensorRef("mean", means[b].contiguous()), new InMemoryTensorRef("logvar", logVars[b].contiguous())]);
            }
        }
        Hits += paths.Length - missing.Count;
        Misses += missing.Count;
        var meanBatch = stack(means, 0).to(targets.dtype, targets.device);        // [B, z, h, w]
        var logVarBatch = stack(logVars, 0).to(targets.dtype, targets.device);    // [B, z, h, w]
        return _vae.Sample(meanBatch, logVarBatch, generator).MoveToOuterDisposeScope();
    }

    string PathOf(string key) =>
        Path.Combine(Folder, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32].ToLowerInvariant() + ".safetensors");

    static (Tensor Mean, Tensor LogVar) Read(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return (file["mean"].ToTensor(), file["logvar"].ToTensor());
    }

    /// <summary>SHA-256 of the encoder half's weights (encoder.*, quant_conv.*): what decides the cached moments.</summary>
    static string Fingerprint(AutoencoderKL vae)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var _ = no_grad();
        foreach (var (name, p) in vae.named_parameters().Where(p => p.name.StartsWith("encoder.", StringComparison.Ordinal) || p.name.StartsWith("quant_conv.", StringComparison.Ordinal)))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(name));
            using var values = p.detach().to_type(ScalarType.Float32).cpu().contiguous();
            hash.AppendData(MemoryMarshal.AsBytes(values.data<float>().ToArray().AsSpan()));
        }
        return "vae-" + Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
