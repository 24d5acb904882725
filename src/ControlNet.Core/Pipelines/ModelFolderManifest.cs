using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlNet.Pipelines;

/// <summary>
/// <c>controlnet-model.json</c>: describes a model folder that is not a diffusers pipeline, e.g. the shipped toy model
/// (pixel space, tiny vocabulary). Paths are relative to the folder. Format in docs/generation.md, "Model folder manifest".
/// </summary>
public sealed record ModelFolderManifest
{
    public const string FileName = "controlnet-model.json";
    public const string FormatName = "controlnet-model";
    public const string IdentityAutoencoder = "identity";

    /// <summary>Always "controlnet-model".</summary>
    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    /// <summary>1.</summary>
    [JsonPropertyName("version")] public int Version { get; init; } = 1;
    /// <summary>An <see cref="ControlNet.Models.ArchitectureCatalog"/> name: "toy", "sd15".</summary>
    [JsonPropertyName("architecture")] public string Architecture { get; init; } = "";
    /// <summary>U-Net weights file (LDM names, with or without <c>model.diffusion_model.</c>, or diffusers names).</summary>
    [JsonPropertyName("unet")] public string UNet { get; init; } = "unet.safetensors";
    /// <summary>Folder with a Hugging Face CLIP <c>config.json</c> and <c>model.safetensors</c> (<c>text_model.*</c> keys).</summary>
    [JsonPropertyName("textEncoder")] public string TextEncoder { get; init; } = "text_encoder";
    /// <summary>Folder with <c>vocab.json</c> and <c>merges.txt</c> (any CLIP-style vocabulary with &lt;|startoftext|&gt; and &lt;|endoftext|&gt;).</summary>
    [JsonPropertyName("tokenizer")] public string Tokenizer { get; init; } = "tokenizer";
    /// <summary>"identity" (pixel space: latent = image) or a folder with a diffusers VAE <c>config.json</c> and weights.</summary>
    [JsonPropertyName("autoencoder")] public string Autoencoder { get; init; } = IdentityAutoencoder;

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>True when <paramref name="folder"/> holds a manifest.</summary>
    public static bool IsModelFolder(string folder) => Directory.Exists(folder) && File.Exists(Path.Combine(folder, FileName));

    public static ModelFolderManifest Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
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

    /// <summary>Writes the manifest into <paramref name="folder"/> atomically.</summary>
    public void Write(string folder)
    {
        var text = JsonSerializer.Serialize(this, Json);
        ControlNet.Checkpoints.AtomicFile.Write(Path.Combine(folder, FileName), s => { using var w = new StreamWriter(s); w.Write(text); });
    }
}
