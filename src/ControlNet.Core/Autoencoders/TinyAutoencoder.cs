using ControlNet.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// TAESD, the tiny autoencoder for SD 1.x latents (madebyollin/taesd): 1.2 M parameters per half instead of the VAE's
/// 84 M, used as a fast decoder and for live previews. Loaded strictly from the public <c>taesd_decoder</c> and
/// (optional) <c>taesd_encoder</c> files in their own key layout (.safetensors or .pth). It works on the diffusion
/// model's scaled latents directly (no 0.18215 factor); images are [−1, 1] like every <see cref="IAutoencoder"/>.
/// Without an encoder file, <see cref="Encode"/> throws: decoding and previews need only the decoder.
/// </summary>
public sealed class TinyAutoencoder : nn.Module, IAutoencoder
{
    /// <summary>File names of the public release (either extension).</summary>
    public const string DecoderFileStem = "taesd_decoder";
    public const string EncoderFileStem = "taesd_encoder";

    private readonly TaesdDecoder decoder;
    private readonly TaesdEncoder? encoder;

    public TinyAutoencoder(bool withEncoder = true, int latentChannels = 4) : base(nameof(TinyAutoencoder))
    {
        decoder = new TaesdDecoder(latentChannels);
        if (withEncoder) encoder = new TaesdEncoder(latentChannels);
        LatentChannels = latentChannels;
        RegisterComponents();
    }

    public int DownscaleFactor => 8;
    public int LatentChannels { get; }
    public bool HasEncoder => encoder is not null;

    /// <summary>Scaled latent [B, z, h, w] → image [B, 3, 8h, 8w] in [−1, 1] (unclamped).</summary>
    public Tensor Decode(Tensor latent)
    {
        Check(latent, LatentChannels, "latent");
        using var scope = NewDisposeScope();
        return (decoder.call(latent) * 2 - 1).MoveToOuterDisposeScope();    // [0, 1] → [−1, 1]
    }

    /// <summary>Image [B, 3, H, W] in [−1, 1] → scaled latent [B, z, H/8, W/8]. Deterministic: <paramref name="generator"/> is unused.</summary>
    public Tensor Encode(Tensor image, Generator? generator)
    {
        if (encoder is null)
            throw new InvalidOperationException($"This TAESD was loaded without {EncoderFileStem}.safetensors, so it can only decode; put the encoder file next to the decoder, or encode with the full VAE.");
        Check(image, 3, "image");
        if ((Pipelines.ImageSize.Problem(image.shape[3], DownscaleFactor) ?? Pipelines.ImageSize.Problem(image.shape[2], DownscaleFactor)) is { } problem)
            throw new ArgumentException($"The image size {image.shape[3]}×{image.shape[2]}: a side {problem} Resize or crop it.");
        using var scope = NewDisposeScope();
        return encoder.call((image + 1) / 2).MoveToOuterDisposeScope();     // [−1, 1] → [0, 1]
    }

    /// <summary>
    /// Loads TAESD from <paramref name="path"/>: a folder holding <c>taesd_decoder.safetensors</c> (or <c>.pth</c>) and
    /// optionally <c>taesd_encoder.*</c>, or the decoder file itself (the encoder is then looked up beside it).
    /// Every key and shape must match the public layout (strict).
    /// </summary>
    public static TinyAutoencoder Load(string path, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        var (decoderFile, encoderFile) = Locate(path);
        var model = new TinyAutoencoder(withEncoder: encoderFile is not null);
        try
        {
            model.to(device ?? CPU, dtype);
            using (var weights = WeightsFile.Open(decoderFile))
                StrictLoader.Load(model.decoder, weights, $"TAESD decoder from {decoderFile}", Hint);
            if (encoderFile is not null)
                using (var weights = WeightsFile.Open(encoderFile))
                    StrictLoader.Load(model.encoder!, weights, $"TAESD encoder from {encoderFile}", Hint);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    const string Hint = "use the SD 1.x files of madebyollin/taesd (taesd_decoder.safetensors, taesd_encoder.safetensors); TAESDXL, TAESD3 and TAEF1 have other latents.";

    static (string Decoder, string? Encoder) Locate(string path)
    {
        string? Find(string folder, string stem) =>
            new[] { ".safetensors", ".pth" }.Select(ext => Path.Combine(folder, stem + ext)).FirstOrDefault(File.Exists);
        if (Directory.Exists(path))
        {
            var d = Find(path, DecoderFileStem)
                ?? throw new FileNotFoundException($"The folder '{path}' has no {DecoderFileStem}.safetensors or {DecoderFileStem}.pth; download them from madebyollin/taesd.");
            return (d, Find(path, EncoderFileStem));
        }
        if (!File.Exists(path))
            throw new FileNotFoundException($"TAESD '{path}' is neither a folder nor a file; pass the folder with {DecoderFileStem}.safetensors or the file itself.", path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return (path, Find(folder, EncoderFileStem));
    }

    static void Check(Tensor t, int channels, string what)
    {
        if (t.dim() != 4 || t.shape[1] != channels)
            throw new ArgumentException($"The {what} must be [B, {channels}, H, W], got [{string.Join(", ", t.shape)}].");
    }
}
