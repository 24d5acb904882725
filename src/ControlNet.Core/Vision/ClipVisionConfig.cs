using System.Text.Json;
using ControlNet.Text;

namespace ControlNet.Vision;

/// <summary>
/// CLIP vision-tower hyper-parameters, named as in a Hugging Face <c>CLIPVisionConfig</c> (transformers
/// models/clip/configuration_clip.py). The widths, depth, patch and image size are read from the weights; only the head
/// count and activation come from a <c>config.json</c> when one is there (else 64-wide heads and quick_gelu, as every
/// OpenAI CLIP ViT).
/// </summary>
public sealed record ClipVisionConfig(int HiddenSize, int NumHiddenLayers, int NumAttentionHeads, int IntermediateSize, int ImageSize, int PatchSize,
    string HiddenAct = "quick_gelu", double LayerNormEps = 1e-5)
{
    /// <summary>openai/clip-vit-large-patch14's vision tower, the one the T2I style adapter was trained with (303 M parameters).</summary>
    public static ClipVisionConfig VitL14 { get; } = new(1024, 24, 16, 4096, 224, 14);

    /// <summary>Patches per side: the grid the image is cut into.</summary>
    public int GridSize => ImageSize / PatchSize;

    /// <summary>Sequence length of the hidden states: one class token plus the patches (ViT-L/14 at 224 px: 257).</summary>
    public int TokenCount => GridSize * GridSize + 1;

    /// <summary>The same transformer as a text config, so the vision tower reuses <see cref="ClipEncoder"/> (transformers shares CLIPEncoder too).</summary>
    public ClipTextConfig EncoderConfig => new(0, HiddenSize, NumHiddenLayers, NumAttentionHeads, IntermediateSize, TokenCount, HiddenAct, LayerNormEps);

    /// <summary>Throws when the values cannot describe a CLIP vision transformer.</summary>
    public ClipVisionConfig Validate(string source)
    {
        if (HiddenSize < 1 || NumHiddenLayers < 1 || NumAttentionHeads < 1 || IntermediateSize < 1 || PatchSize < 1 || ImageSize < PatchSize)
            throw new InvalidDataException($"{source}: the CLIP vision sizes must be positive with the image at least one patch: {this}.");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"{source}: hidden size {HiddenSize} is not divisible by {NumAttentionHeads} attention heads; set num_attention_heads in its config.json (ViT-L/14: 1024 / 16).");
        if (ImageSize % PatchSize != 0)
            throw new InvalidDataException($"{source}: image size {ImageSize} is not a multiple of the patch size {PatchSize}; the file is not a CLIP ViT.");
        if (HiddenAct is not ("quick_gelu" or "gelu"))
            throw new InvalidDataException($"{source}: hidden_act '{HiddenAct}' is not supported; expected 'quick_gelu' (OpenAI CLIP) or 'gelu'.");
        return this;
    }

    /// <summary>
    /// The config of vision weights in transformers names (<c>vision_model.*</c>): sizes from the shapes,
    /// <paramref name="json"/> (a <c>CLIPVisionConfig</c> or a whole <c>CLIPConfig</c> with <c>vision_config</c>) for the head count and activation.
    /// </summary>
    public static ClipVisionConfig FromWeights(IReadOnlyDictionary<string, long[]> shapes, string? json, string source)
    {
        long[] Shape(string key, int rank)
        {
            if (!shapes.TryGetValue(ClipVisionEncoder.Prefix + key, out var s))
                throw new InvalidDataException($"'{source}' has no '{ClipVisionEncoder.Prefix}{key}': it is not a complete CLIP vision tower. Pass openai/clip-vit-large-patch14 (its folder or model.safetensors).");
            if (s.Length != rank)
                throw new InvalidDataException($"'{source}': '{ClipVisionEncoder.Prefix}{key}' has shape [{string.Join(", ", s)}], expected a {rank}-D tensor; the file is corrupt.");
            return s;
        }
        var patch = Shape("embeddings.patch_embedding.weight", 4);                      // [D, 3, P, P]
        var positions = Shape("embeddings.position_embedding.weight", 2);               // [1 + (S/P)², D]
        var fc1 = Shape("encoder.layers.0.mlp.fc1.weight", 2);                          // [M, D]
        int layers = shapes.Keys.Where(k => k.StartsWith(ClipVisionEncoder.Prefix + "encoder.layers.", StringComparison.Ordinal))
            .Select(k => int.TryParse(k.Split('.')[3], out var i) ? i + 1 : 0).Max();
        int grid = (int)Math.Round(Math.Sqrt(positions[0] - 1));
        if (grid * grid != positions[0] - 1)
            throw new InvalidDataException($"'{source}': {positions[0]} position embeddings are not one class token plus a square grid of patches; the file is not a CLIP ViT.");
        int hidden = (int)patch[0];
        var (heads, act, eps) = (hidden >= 64 ? hidden / 64 : 1, "quick_gelu", 1e-5);
        if (json is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                var root = doc.RootElement;
                var vision = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("vision_config", out var v) && v.ValueKind == JsonValueKind.Object ? v : root;
                if (vision.ValueKind == JsonValueKind.Object)
                {
                    if (vision.TryGetProperty("num_attention_heads", out var h) && h.TryGetInt32(out var hv)) heads = hv;
                    if (vision.TryGetProperty("hidden_act", out var a) && a.ValueKind == JsonValueKind.String) act = a.GetString()!;
                    if (vision.TryGetProperty("layer_norm_eps", out var e) && e.TryGetDouble(out var ev)) eps = ev;
                }
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"The config.json beside '{source}' is not valid JSON ({e.Message}); fix or delete it.", e);
            }
        }
        return new ClipVisionConfig(hidden, layers, heads, (int)fc1[0], grid * (int)patch[2], (int)patch[2], act, eps).Validate($"'{source}'");
    }
}
