using System.Text.Json;
using System.Text.Json.Serialization;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>
/// The manifest of a self-contained model folder (<c>controlnet-model.json</c>), as shipped in <c>models/toy</c>:
/// architecture name, U-Net weights, ControlNets by condition, tokenizer folder, text encoder config + weights, autoencoder.
/// Paths are relative to the folder.
/// </summary>
public sealed record ModelFolderManifest
{
    public const string FileName = "controlnet-model.json";

    [JsonPropertyName("architecture")] public string Architecture { get; init; } = "toy";
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = 32;
    [JsonPropertyName("unet")] public string UNet { get; init; } = "unet.safetensors";
    [JsonPropertyName("controlnets")] public Dictionary<string, string> ControlNets { get; init; } = new();
    [JsonPropertyName("tokenizer")] public string Tokenizer { get; init; } = "tokenizer";
    [JsonPropertyName("text_encoder_config")] public string TextEncoderConfig { get; init; } = "text_encoder/config.json";
    [JsonPropertyName("text_encoder")] public string TextEncoder { get; init; } = "text_encoder/model.safetensors";
    /// <summary>"identity" (pixel space) or a path to an AutoencoderKL file.</summary>
    [JsonPropertyName("autoencoder")] public string Autoencoder { get; init; } = "identity";
    [JsonPropertyName("guidance_scale")] public double GuidanceScale { get; init; } = 3.0;
    [JsonPropertyName("description")] public string Description { get; init; } = "";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static ModelFolderManifest Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{path}' not found; a model folder needs {FileName} (write one with 'controlnet train-base').", path);
        return JsonSerializer.Deserialize<ModelFolderManifest>(File.ReadAllText(path)) ?? throw new InvalidDataException($"'{path}' is empty.");
    }

    public void Write(string folder) =>
        AtomicFile.Write(Path.Combine(folder, FileName), s => JsonSerializer.Serialize(s, this, Json));
}

/// <summary>Reads and writes the pieces of a model folder (toy world: pixel space, identity autoencoder).</summary>
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
        var config = ClipTextConfig.FromJson(File.ReadAllText(Path.Combine(folder, manifest.TextEncoderConfig)));
        var encoder = new ClipTextEncoder(config);
        ReadWeights(encoder, Path.Combine(folder, manifest.TextEncoder), "text encoder");
        ToyText.Freeze(encoder);
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
        if (!manifest.ControlNets.TryGetValue(condition, out var file))
            throw new KeyNotFoundException($"The model folder '{folder}' has no ControlNet for '{condition}'; it has: {string.Join(", ", manifest.ControlNets.Keys)}.");
        var controlNet = ArchitectureCatalog.CreateControlNet(manifest.Architecture);
        ReadWeights(controlNet, Path.Combine(folder, file), $"{condition} ControlNet");
        return controlNet;
    }

    /// <summary>Writes config.json for a text encoder (HF key names).</summary>
    public static void WriteTextEncoderConfig(ClipTextConfig config, string path) =>
        AtomicFile.Write(path, s => JsonSerializer.Serialize(s, config, new JsonSerializerOptions { WriteIndented = true }));
}
