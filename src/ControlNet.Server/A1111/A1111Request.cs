using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlNet.Server.A1111;

/// <summary>
/// The fields of A1111's <c>/sdapi/v1/txt2img</c> and <c>/img2img</c> bodies that the server uses (modules/api/models.py,
/// StableDiffusionProcessing*). Unknown fields are ignored as A1111 does; a field of the wrong type is a 422 naming it.
/// Omitted fields take the server's defaults (the model's size and guidance scale), not A1111's 512 × 512.
/// </summary>
public sealed class A1111Request
{
    [JsonPropertyName("prompt")] public string? Prompt { get; init; }
    [JsonPropertyName("negative_prompt")] public string? NegativePrompt { get; init; }
    [JsonPropertyName("seed")] public long? Seed { get; init; }
    [JsonPropertyName("sampler_name")] public string? SamplerName { get; init; }
    /// <summary>Older clients send the sampler here.</summary>
    [JsonPropertyName("sampler_index")] public string? SamplerIndex { get; init; }
    [JsonPropertyName("scheduler")] public string? Scheduler { get; init; }
    [JsonPropertyName("batch_size")] public int? BatchSize { get; init; }
    [JsonPropertyName("n_iter")] public int? NIter { get; init; }
    [JsonPropertyName("steps")] public int? Steps { get; init; }
    [JsonPropertyName("cfg_scale")] public double? CfgScale { get; init; }
    [JsonPropertyName("width")] public int? Width { get; init; }
    [JsonPropertyName("height")] public int? Height { get; init; }
    [JsonPropertyName("eta")] public double? Eta { get; init; }
    [JsonPropertyName("denoising_strength")] public double? DenoisingStrength { get; init; }
    [JsonPropertyName("init_images")] public List<string>? InitImages { get; init; }
    [JsonPropertyName("mask")] public string? Mask { get; init; }
    [JsonPropertyName("send_images")] public bool? SendImages { get; init; }
    /// <summary>Script name (lower-cased by A1111) → its arguments; ControlNet's key is "controlnet" or "ControlNet".</summary>
    [JsonPropertyName("alwayson_scripts")] public Dictionary<string, JsonElement>? AlwaysonScripts { get; init; }

    /// <summary>Reads numbers sent as strings too, as A1111's pydantic models do.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
        PropertyNameCaseInsensitive = false,
    };
}
