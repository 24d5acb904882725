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
        var hidden = Encoder.Encode(ids)[0].detach();            // [77, hidden]
        hidden = hidden.MoveToOuterDisposeScope().DetachFromDisposeScope();
        _cache[prompt] = hidden;
        return hidden;
    }

    public void Dispose()
    {
        foreach (var t in _cache.Values) t.Dispose();
        _cache.Clear();
    }
}
