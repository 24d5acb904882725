using ControlNet.Text;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>
/// The frozen text side for training and previews: prompt → [77, ContextDim], cached per distinct prompt, because the
/// encoder never changes during ControlNet training (a fill50k-size caption set fits in memory; the toy world has 144 prompts).
/// </summary>
public sealed class PromptEncoder(ClipTokenizer tokenizer, ClipTextEncoder encoder) : IDisposable
{
    readonly Dictionary<string, Tensor> _cache = new(StringComparer.Ordinal);

    public ClipTokenizer Tokenizer { get; } = tokenizer;
    public ClipTextEncoder Encoder { get; } = encoder;

    /// <summary>[B, 77, hidden] for the prompts.</summary>
    public Tensor Encode(IReadOnlyList<string> prompts)
    {
        using var scope = NewDisposeScope();
        var rows = prompts.Select(One).ToList();
        return stack(rows, 0).MoveToOuterDisposeScope();
    }

    Tensor One(string prompt)
    {
        if (_cache.TryGetValue(prompt, out var cached)) return cached;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var ids = ClipTextEncoder.IdsTensor([Tokenizer.Encode(prompt)]);
        var hidden = Encoder.Encode(ids)[0].detach().MoveToOuterDisposeScope();   // [77, hidden]
        // A real dataset has a caption per image (fill50k: 50K × 77 × 768 floats = 12 GB), so only the first
        // MaxCached distinct prompts (the empty one among them, the toy world's all) stay; the rest are re-encoded.
        if (_cache.Count >= MaxCached) return hidden;
        _cache[prompt] = hidden.DetachFromDisposeScope();
        return hidden;
    }

    /// <summary>Distinct prompts whose embeddings stay in memory.</summary>
    public int MaxCached { get; init; } = 1024;

    public void Dispose()
    {
        foreach (var t in _cache.Values) t.Dispose();
        _cache.Clear();
    }
}
