using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlNet.Pipelines;

/// <summary>
/// <c>controlnet-model.json</c>: describes a self-contained model folder that is not a diffusers pipeline, e.g. the
/// shipped toy model (pixel space, tiny vocabulary). Written by <c>controlnet train-base</c>/<c>train</c>, read by the
/// pipeline loader and the host. Paths are relative to the folder. Format: docs/generation.md, "Model folder manifest".
/// </summary>
public sealed record ModelFolderManifest
{
    public const string FileName = "controlnet-model.json";
    public const string FormatName = "controlnet-model";
    public const string IdentityAutoencoder = "identity";

    /// <summary>Always "controlnet-model" (absent is accepted: files written before the field existed).</summary>
    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    /// <summary>1.</summary>
    [JsonPropertyName("version")] public int Version { get; init; } = 1;
    /// <summary>An <see cref="ControlNet.Models.ArchitectureCatalog"/> name: "toy", "sd15".</summary>
    [JsonPropertyName("architecture")] public string Architecture { get; init; } = "";
    /// <summary>The image size the model was trained at (the host's default width and height), if stated.</summary>
    [JsonPropertyName("image_size")] public int? ImageSize { get; init; }
    /// <summary>The guidance scale the model is meant to be sampled with (the host's default), if stated.</summary>
    [JsonPropertyName("guidance_scale")] public double? GuidanceScale { get; init; }
    /// <summary>U-Net weights file (LDM names, with or without <c>model.diffusion_model.</c>, or diffusers names).</summary>
    [JsonPropertyName("unet")] public string UNet { get; init; } = "unet.safetensors";
    /// <summary>ControlNets trained for this model, by condition type (plug-in id) → weights file.</summary>
    [JsonPropertyName("controlnets")] public Dictionary<string, string> ControlNets { get; init; } = new();
    /// <summary>Folder with <c>vocab.json</c> and <c>merges.txt</c> (any CLIP-style vocabulary with &lt;|startoftext|&gt; and &lt;|endoftext|&gt;).</summary>
    [JsonPropertyName("tokenizer")] public string Tokenizer { get; init; } = "tokenizer";
    /// <summary>Hugging Face CLIP text <c>config.json</c>.</summary>
    [JsonPropertyName("text_encoder_config")] public string TextEncoderConfig { get; init; } = "text_encoder/config.json";
    /// <summary>Text encoder weights (<c>text_model.*</c> keys).</summary>
    [JsonPropertyName("text_encoder")] public string TextEncoder { get; init; } = "text_encoder/model.safetensors";
    /// <summary>"identity" (pixel space: latent = image) or a folder with a diffusers VAE <c>config.json</c> and weights.</summary>
    [JsonPropertyName("autoencoder")] public string Autoencoder { get; init; } = IdentityAutoencoder;
    [JsonPropertyName("description")] public string Description { get; init; } = "";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>True when <paramref name="folder"/> holds a manifest.</summary>
    public static bool IsModelFolder(string folder) => Directory.Exists(folder) && File.Exists(Path.Combine(folder, FileName));

    public static ModelFolderManifest Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{path}' not found; a model folder needs {FileName} (written by 'controlnet train-base').", path);
        ModelFolderManifest m;
        try
        {
            m = JsonSerializer.Deserialize<ModelFolderManifest>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"'{path}' is empty; expected a JSON object with format, version and architecture.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON ({e.Message}); see docs/generation.md, 'Model folder manifest'.", e);
        }
        if (m.Format != FormatName || m.Version != 1)
            throw new InvalidDataException($"'{path}' has format '{m.Format}' version {m.Version}; this SDK reads format '{FormatName}' version 1.");
        if (string.IsNullOrWhiteSpace(m.Architecture))
            throw new InvalidDataException($"'{path}' names no architecture; set \"architecture\" to one of: {string.Join(", ", ControlNet.Models.ArchitectureCatalog.Names)}.");
        return m;
    }

    /// <summary>The absolute weights file of the ControlNet for <paramref name="condition"/>, or null when the folder ships none.</summary>
    public string? ControlNetFile(string folder, string condition) =>
        ControlNets.FirstOrDefault(kv => string.Equals(kv.Key, condition, StringComparison.OrdinalIgnoreCase)).Value is { Length: > 0 } file
            ? Path.GetFullPath(file, Path.GetFullPath(folder))
            : null;

    /// <summary>Writes the manifest into <paramref name="folder"/> atomically.</summary>
    public void Write(string folder)
    {
        var text = JsonSerializer.Serialize(this, Json);
        ControlNet.Checkpoints.AtomicFile.Write(Path.Combine(folder, FileName), s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });
    }
}
