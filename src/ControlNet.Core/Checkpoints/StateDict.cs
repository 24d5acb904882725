using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace ControlNet.Checkpoints;

/// <summary>
/// The named tensors of one weights file (or of several, for a diffusers folder), in file order, lazily readable.
/// Owns the open file handles / memory maps: dispose it after the tensors have been copied into a model.
/// </summary>
public sealed class StateDict : IReadOnlyDictionary<string, TensorRef>, IDisposable
{
    readonly Dictionary<string, TensorRef> _byName;
    readonly List<IDisposable> _owned = new();

    public StateDict(IEnumerable<TensorRef> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        string? source = null, string container = "memory", IDisposable? owner = null)
    {
        Tensors = tensors.ToList();
        _byName = new Dictionary<string, TensorRef>(StringComparer.Ordinal);
        foreach (var t in Tensors)
            if (!_byName.TryAdd(t.Name, t))
                throw new InvalidDataException($"{source ?? "state dict"}: duplicate tensor name '{t.Name}'.");
        Metadata = metadata ?? new Dictionary<string, string>();
        Source = source ?? "memory";
        Container = container;
        if (owner is not null) _owned.Add(owner);
    }

    public IReadOnlyList<TensorRef> Tensors { get; }
    /// <summary>safetensors <c>__metadata__</c> (empty for other formats).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>The path the tensors came from.</summary>
    public string Source { get; }
    /// <summary>"safetensors", "torch-zip", "memory" or a combination for folders.</summary>
    public string Container { get; }

    /// <summary>Entries of a pickled checkpoint that were not tensors (Lightning epoch, global_step, ...): reported, never loaded.</summary>
    public IReadOnlyList<string> NonTensorEntries { get; init; } = Array.Empty<string>();

    /// <summary>Makes this state dict dispose <paramref name="d"/> with itself (used when merging files).</summary>
    public void Own(IDisposable d) => _owned.Add(d);

    public TensorRef this[string key] => _byName.TryGetValue(key, out var t) ? t
        : throw new KeyNotFoundException($"{Source}: no tensor named '{key}'.");
    public IEnumerable<string> Keys => Tensors.Select(t => t.Name);
    public IEnumerable<TensorRef> Values => Tensors;
    public int Count => Tensors.Count;
    public bool ContainsKey(string key) => _byName.ContainsKey(key);
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TensorRef value) => _byName.TryGetValue(key, out value);
    public IEnumerator<KeyValuePair<string, TensorRef>> GetEnumerator() =>
        Tensors.Select(t => new KeyValuePair<string, TensorRef>(t.Name, t)).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
        _owned.Clear();
    }
}
