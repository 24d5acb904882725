using System.Text.Json;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Models.HintEncoders;
using ControlNet.Models.Variants;
using ControlNet.Pipelines;
using ControlNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>Reads and writes the pieces of a model folder (<see cref="ModelFolderManifest"/>; the toy world's layout: pixel space, identity autoencoder).</summary>
public static class ModelFolder
{
    /// <summary>Writes a module's state dict as safetensors (bare generated names), converted to <paramref name="dtype"/>.</summary>
    public static void WriteWeights(nn.Module module, string path, TensorDType dtype = TensorDType.F32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var tensors = module.state_dict().Select(kv => new InMemoryTensorRef(kv.Key, kv.Value.detach()).ConvertedTo(dtype)).ToList();
        SafetensorsWriter.Write(path, tensors, metadata);
    }

    /// <summary>Loads safetensors weights into a module strictly (every key, every shape), converting dtypes.</summary>
    public static void ReadWeights(nn.Module module, string path, string description)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{description} weights '{path}' not found.", path);
        using var weights = SafetensorsFile.Open(path);
        StrictLoader.Load(module, weights, $"{description} from {path}");
    }

    public static ClipTokenizer LoadTokenizer(string folder, ModelFolderManifest manifest) =>
        ClipTokenizer.FromFolder(Path.Combine(folder, manifest.Tokenizer));

    public static ClipTextEncoder LoadTextEncoder(string folder, ModelFolderManifest manifest)
    {
        var config = ClipTextConfig.FromJson(File.ReadAllText(Path.Combine(folder, manifest.TextEncoderConfig)), $"'{Path.Combine(folder, manifest.TextEncoderConfig)}'");
        var encoder = new ClipTextEncoder(config);
        ReadWeights(encoder, Path.Combine(folder, manifest.TextEncoder), "text encoder");
        Freeze(encoder);
        return encoder;
    }

    public static nn.Module LoadUNet(string folder, ModelFolderManifest manifest)
    {
        var unet = ArchitectureCatalog.CreateUNet(manifest.Architecture);
        ReadWeights(unet, Path.Combine(folder, manifest.UNet), "U-Net");
        return unet;
    }

    public static nn.Module LoadControlNet(string folder, ModelFolderManifest manifest, string condition)
    {
        var file = manifest.ControlNetFile(folder, condition)
            ?? throw new KeyNotFoundException($"The model folder '{folder}' has no ControlNet for '{condition}'; it has: {string.Join(", ", manifest.ControlNets.Keys)}.");
        if (!File.Exists(file)) throw new FileNotFoundException($"{condition} ControlNet weights '{file}' not found.", file);
        using var weights = SafetensorsFile.Open(file);
        var hintEncoder = HintEncoderModules.ForWeights(weights, declared: null, $"'{file}'");
        var controlNet = HintEncoderModules.Apply(ControlNetVariants.ForWeights(ArchitectureCatalog.CreateControlNet(manifest.Architecture), weights), hintEncoder);
        StrictLoader.Load(controlNet, weights, $"{condition} ControlNet from {file}");
        return controlNet;
    }

    /// <summary>Writes config.json for a text encoder (HF key names).</summary>
    public static void WriteTextEncoderConfig(ClipTextConfig config, string path) =>
        AtomicFile.Write(path, s => JsonSerializer.Serialize(s, config, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Eval mode and no gradients: the text encoder is never trained (paper §3.3: frozen CLIP).</summary>
    public static void Freeze(nn.Module module)
    {
        module.eval();
        foreach (var p in module.parameters()) p.requires_grad = false;
    }
}
