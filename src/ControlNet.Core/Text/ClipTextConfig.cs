using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlNet.Text;

/// <summary>
/// CLIP text-transformer hyper-parameters, named as in a Hugging Face <c>text_encoder/config.json</c> (REFERENCE §11).
/// </summary>
public sealed record ClipTextConfig(
    [property: JsonPropertyName("vocab_size")] int VocabSize,
    [property: JsonPropertyName("hidden_size")] int HiddenSize,
    [property: JsonPropertyName("num_hidden_layers")] int NumHiddenLayers,
    [property: JsonPropertyName("num_attention_heads")] int NumAttentionHeads,
    [property: JsonPropertyName("intermediate_size")] int IntermediateSize,
    [property: JsonPropertyName("max_position_embeddings")] int MaxPositionEmbeddings,
    [property: JsonPropertyName("hidden_act")] string HiddenAct,
    [property: JsonPropertyName("layer_norm_eps")] double LayerNormEps)
{
    /// <summary>CLIP ViT-L/14 text tower as used by SD 1.x (123,060,480 parameters).</summary>
    public static ClipTextConfig StableDiffusion15 { get; } = new(49408, 768, 12, 12, 3072, 77, "quick_gelu", 1e-5);

    /// <summary>A 2-layer, 64-wide model with the real vocabulary and context, for tests and toy models.</summary>
    public static ClipTextConfig Tiny { get; } = new(49408, 64, 2, 4, 128, 77, "quick_gelu", 1e-5);

    /// <summary>Largest text encoder accepted: 4 × OpenCLIP bigG's 695 M parameters.</summary>
    public const double MaxParameters = 3e9;

    public int HeadDim => NumAttentionHeads > 0 ? HiddenSize / NumAttentionHeads : 0;

    /// <summary>Parameter count implied by the config (embeddings + layers + final LayerNorm), without building the model.</summary>
    public long ParameterCount
    {
        get
        {
            long h = HiddenSize, m = IntermediateSize;
            long embeddings = (long)VocabSize * h + (long)MaxPositionEmbeddings * h;
            long attention = 4 * (h * h + h);                  // q, k, v, out with bias
            long mlp = (h * m + m) + (m * h + h);              // fc1, fc2
            long norms = 2 * 2 * h;                            // layer_norm1/2 weight + bias
            return embeddings + NumHiddenLayers * (attention + mlp + norms) + 2 * h;
        }
    }

    /// <summary>Throws when the values cannot describe a CLIP text transformer.</summary>
    public ClipTextConfig Validate()
    {
        if (VocabSize < 1 || HiddenSize < 1 || NumHiddenLayers < 1 || NumAttentionHeads < 1 || IntermediateSize < 1 || MaxPositionEmbeddings < 1)
            throw new ArgumentException($"CLIP text config sizes must be positive: {this}.");
        // Checked in floating point before any module is built: a config can ask for more parameters than memory holds.
        double parameters = ((double)VocabSize + MaxPositionEmbeddings) * HiddenSize + (double)NumHiddenLayers * (4.0 * HiddenSize * HiddenSize + 2.0 * HiddenSize * IntermediateSize);
        if (parameters > MaxParameters)
            throw new ArgumentException($"The CLIP text config describes about {parameters:E2} parameters, above the {MaxParameters:E0} a text encoder can have here (SD 1.5: 1.2E+008); check hidden_size, intermediate_size, num_hidden_layers and vocab_size.");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}; use a head count that divides it (SD 1.5: 768 / 12).");
        if (HiddenAct is not ("quick_gelu" or "gelu"))
            throw new ArgumentException($"hidden_act '{HiddenAct}' is not supported; expected 'quick_gelu' (SD 1.x) or 'gelu' (SD 2.x).");
        if (!(LayerNormEps > 0))
            throw new ArgumentException($"layer_norm_eps must be positive, got {LayerNormEps} (CLIP uses 1e-5).");
        return this;
    }

    /// <summary>Reads a Hugging Face <c>config.json</c> (unknown keys such as projection_dim are ignored).</summary>
    public static ClipTextConfig FromJson(string json, string source = "The CLIP text config JSON")
    {
        ClipTextConfig? config;
        try { config = JsonSerializer.Deserialize<ClipTextConfig>(json); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a valid CLIP text config ({e.Message}); sizes are integers, hidden_act a string (Hugging Face CLIPTextConfig).", e);
        }
        return (config ?? throw new InvalidDataException($"{source} is empty ('null').")).Validate();
    }
}
