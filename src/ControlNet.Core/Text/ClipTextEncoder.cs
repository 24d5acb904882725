using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Text;

/// <summary>
/// The CLIP text encoder SD conditions on (HF <c>CLIPTextModel</c>; REFERENCE §11): ids [B, 77] → last hidden state
/// after the final LayerNorm, [B, 77, hidden]. Parameter names are HF's (<c>text_model.embeddings.token_embedding.weight</c>, …);
/// checkpoints that still carry the legacy <c>text_model.embeddings.position_ids</c> buffer must drop it before loading.
/// </summary>
public sealed class ClipTextEncoder : nn.Module<Tensor, Tensor>
{
    private readonly ClipTextTransformer text_model;

    public ClipTextEncoder(ClipTextConfig config) : base(nameof(ClipTextEncoder))
    {
        Config = config.Validate();
        text_model = new ClipTextTransformer(config);
        RegisterComponents();
    }

    public ClipTextConfig Config { get; }

    /// <summary>
    /// Textual-inversion vectors [N, hidden] for ids <see cref="ClipTextConfig.VocabSize"/> + 0…N−1 (what
    /// <see cref="ClipTokenizer.WithAddedTokens"/> gives embedding names); null for none. Set it for one generation and clear it after.
    /// </summary>
    public Tensor? ExtraTokenEmbeddings { get => text_model.ExtraTokens; set => text_model.ExtraTokens = value; }

    /// <summary>Last hidden state for ids [B, L] (L ≤ 77): [B, L, hidden].</summary>
    public override Tensor forward(Tensor ids) => Encode(ids, clipSkip: 1);

    /// <summary>
    /// Hidden states for ids [B, L]; <paramref name="clipSkip"/> = k uses final_layer_norm(hidden_states[−k]) as
    /// ControlNet 1.1's <c>hack_everything(clip_skip)</c> (1 = SD default, 2 = skip the last layer).
    /// </summary>
    public Tensor Encode(Tensor ids, int clipSkip = 1)
    {
        CheckIds(ids, Config.MaxPositionEmbeddings);
        if (clipSkip < 1 || clipSkip > Config.NumHiddenLayers)
            throw new ArgumentOutOfRangeException(nameof(clipSkip), clipSkip, $"clip skip must be in 1..{Config.NumHiddenLayers} (1 = no skip, 2 = penultimate layer).");
        using var scope = torch.NewDisposeScope();
        return text_model.Forward(ids, clipSkip).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Long prompts: ids [B, 77·k] made by <see cref="ClipTokenizer.EncodeChunks"/>, each 77-token chunk encoded on its
    /// own and the results concatenated along the token axis → [B, 77·k, hidden] (A1111/ComfyUI convention).
    /// </summary>
    public Tensor EncodeChunks(Tensor ids, int clipSkip = 1)
    {
        int context = Config.MaxPositionEmbeddings;
        if (ids.dim() != 2 || ids.shape[1] % context != 0 || ids.shape[1] == 0)
            throw new ArgumentException($"Chunked ids must be [B, {context}·k], got [{string.Join(", ", ids.shape)}]; build them with ClipTokenizer.EncodeChunks.");
        using var scope = torch.NewDisposeScope();
        var parts = ids.split(context, dim: 1).Select(chunk => Encode(chunk, clipSkip)).ToArray();   // k × [B, 77, D]
        return torch.cat(parts, dim: 1).MoveToOuterDisposeScope();                                  // [B, 77·k, D]
    }

    /// <summary>
    /// A1111 "Original" emphasis: multiplies each token's hidden state by its weight, then rescales the whole tensor so its
    /// mean equals the unweighted mean (per batch row). hidden [B, L, D], weights [B, L] → [B, L, D]. All-ones weights
    /// return the input values unchanged.
    /// </summary>
    public static Tensor ApplyEmphasis(Tensor hidden, Tensor weights)
    {
        if (hidden.dim() != 3 || weights.dim() != 2 || hidden.shape[0] != weights.shape[0] || hidden.shape[1] != weights.shape[1])
            throw new ArgumentException($"Emphasis needs hidden [B, L, D] and weights [B, L]; got [{string.Join(", ", hidden.shape)}] and [{string.Join(", ", weights.shape)}].");
        using var scope = torch.NewDisposeScope();
        var originalMean = hidden.mean([1, 2], keepdim: true);                              // [B, 1, 1]
        var weighted = hidden * weights.to_type(hidden.dtype).unsqueeze(-1);               // [B, L, D]
        var newMean = weighted.mean([1, 2], keepdim: true);
        return (weighted * (originalMean / newMean)).MoveToOuterDisposeScope();
    }

    /// <summary>Token ids as the [B, 77] int64 tensor the encoder takes.</summary>
    public static Tensor IdsTensor(IReadOnlyList<int[]> rows, Device? device = null)
    {
        if (rows.Count == 0 || rows.Any(r => r.Length != rows[0].Length))
            throw new ArgumentException("Give at least one row of ids, all of the same length (77 per chunk).");
        var flat = rows.SelectMany(r => r.Select(i => (long)i)).ToArray();
        return torch.tensor(flat, new long[] { rows.Count, rows[0].Length }, device: device);
    }

    static void CheckIds(Tensor ids, int maxPositions)
    {
        if (ids.dim() != 2 || ids.shape[1] < 1 || ids.shape[1] > maxPositions)
            throw new ArgumentException($"Token ids must be [B, L] with 1 ≤ L ≤ {maxPositions}, got [{string.Join(", ", ids.shape)}]; for longer prompts use EncodeChunks.");
        if (ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"Token ids must be int64, got {ids.dtype}.");
    }
}
