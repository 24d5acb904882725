using System.Text.Json;
using System.Text.Json.Nodes;
using ControlNet.Abstractions;
using ControlNet.Autoencoders;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Pipelines;
using ControlNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Pipelines;

/// <summary>
/// Tiny random models for pipeline tests: the "toy" U-Net and ControlNet (pixel space, identity autoencoder), a one-layer
/// 64-wide CLIP on a 514-entry byte-level vocabulary (no merges). Fresh LDM U-Nets and ControlNets output zeros
/// (zero-initialised out conv and zero convs), so every all-zero parameter gets random values.
/// </summary>
public static class TinyModels
{
    public static readonly ClipTextConfig TextConfig = new(514, 64, 1, 4, 128, 77, "quick_gelu", 1e-5);

    public static ToyUNet UNet(int seed = 1)
    {
        torch.manual_seed(seed);
        var unet = new ToyUNet();
        Randomize(unet, seed);
        unet.eval();
        return unet;
    }

    public static ToyControlNet ControlNet(int seed)
    {
        torch.manual_seed(seed);
        var cn = new ToyControlNet();
        Randomize(cn, seed);
        cn.eval();
        return cn;
    }

    public static ClipTextEncoder TextEncoder(int seed = 3)
    {
        torch.manual_seed(seed);
        var text = new ClipTextEncoder(TextConfig);
        text.eval();
        return text;
    }

    /// <summary>Every all-zero parameter gets N(0, 0.05²) values from a generator of its own (independent of other tests).</summary>
    public static void Randomize(nn.Module module, int seed)
    {
        using var _ = torch.no_grad();
        var g = new Generator((ulong)seed + 1000);
        foreach (var (_, p) in module.named_parameters())
            if (p.abs().max().item<float>() == 0)
                p.copy_(torch.randn(p.shape, generator: g) * 0.05);
    }

    public static DiffusionModel Model(ClipTokenizer tokenizer) =>
        new("toy", UNet(), TextEncoder(), tokenizer, new IdentityAutoencoder(3));

    public static ControlNetPipeline Pipeline(ClipTokenizer tokenizer, params (string Key, IControlNet Model)[] controlNets) =>
        new(Model(tokenizer), controlNets.ToDictionary(c => c.Key, c => new PipelineControlNet(c.Model)));

    /// <summary>A temp folder with vocab.json (256 byte symbols, their &lt;/w&gt; forms, then the two specials: ids 512, 513) and an empty merges.txt.</summary>
    public static string WriteTokenizer(string folder)
    {
        Directory.CreateDirectory(folder);
        var alphabet = ByteAlphabet();
        var tokens = alphabet.Concat(alphabet.Select(a => a + "</w>")).Append("<|startoftext|>").Append("<|endoftext|>").ToList();
        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i)));
        File.WriteAllText(Path.Combine(folder, "merges.txt"), "#version: 0.2\n");
        return folder;
    }

    public static ClipTokenizer Tokenizer()
    {
        var folder = WriteTokenizer(TempFolder());
        return ClipTokenizer.FromFolder(folder);
    }

    public static string TempFolder()
    {
        var path = Path.Combine(Path.GetTempPath(), "cn-pipe-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>CLIP's bytes_to_unicode in vocabulary order: printable bytes map to themselves, the rest to 256 + n.</summary>
    static List<string> ByteAlphabet()
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToList();
        var list = printable.Select(b => ((char)b).ToString()).ToList();
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!printable.Contains(b)) list.Add(((char)(256 + n++)).ToString());
        return list;
    }

    /// <summary>A condition map: a white square on black, optionally gray.</summary>
    public static ConditionImage Square(int size, int from, int to)
    {
        var rgb = new byte[size * size * 3];
        for (int y = from; y < to; y++)
            for (int x = from; x < to; x++)
                for (int c = 0; c < 3; c++) rgb[(y * size + x) * 3 + c] = 255;
        return ConditionImage.Rgb(size, size, rgb);
    }

    /// <summary>A smooth colour gradient image.</summary>
    public static ConditionImage Gradient(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = (y * width + x) * 3;
                rgb[i] = (byte)(x * 255 / Math.Max(1, width - 1));
                rgb[i + 1] = (byte)(y * 255 / Math.Max(1, height - 1));
                rgb[i + 2] = 128;
            }
        return ConditionImage.Rgb(width, height, rgb);
    }

    /// <summary>Writes a toy model folder (controlnet-model.json + weights) from the given modules.</summary>
    public static string WriteModelFolder(string folder, nn.Module unet, ClipTextEncoder text)
    {
        Directory.CreateDirectory(folder);
        Save(Path.Combine(folder, "unet.safetensors"), unet);
        var te = Path.Combine(folder, "text_encoder");
        Directory.CreateDirectory(te);
        var config = JsonSerializer.SerializeToNode(text.Config)!.AsObject();
        config["architectures"] = new JsonArray("CLIPTextModel");
        File.WriteAllText(Path.Combine(te, "config.json"), config.ToJsonString());
        Save(Path.Combine(te, "model.safetensors"), text);
        WriteTokenizer(Path.Combine(folder, "tokenizer"));
        new ModelFolderManifest { Architecture = "toy" }.Write(folder);
        return folder;
    }

    public static void Save(string path, nn.Module module) =>
        SafetensorsWriter.Write(path, module.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(kv.Key, kv.Value)).ToList());
}

/// <summary>Counts hint-encoder and forward calls of a wrapped ControlNet.</summary>
public sealed class CountingControlNet(IControlNet inner) : IControlNet
{
    public int HintEncodings { get; private set; }
    public int Forwards { get; private set; }
    public UNetArchitecture Architecture => inner.Architecture;

    public Tensor EncodeHint(Tensor hint)
    {
        HintEncodings++;
        return inner.EncodeHint(hint);
    }

    public IReadOnlyList<Tensor> Forward(Tensor x, Tensor hintFeatures, Tensor timesteps, Tensor context)
    {
        Forwards++;
        return inner.Forward(x, hintFeatures, timesteps, context);
    }

    public IReadOnlyList<Tensor> ForwardWithHint(Tensor x, Tensor hint, Tensor timesteps, Tensor context) =>
        Forward(x, EncodeHint(hint), timesteps, context);
}

/// <summary>Synchronous IProgress (Progress&lt;T&gt; posts asynchronously).</summary>
public sealed class ListProgress<T> : IProgress<T>
{
    public List<T> Items { get; } = [];
    public void Report(T value) => Items.Add(value);
}
