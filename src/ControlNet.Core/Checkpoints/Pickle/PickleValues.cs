namespace ControlNet.Checkpoints.Pickle;

/// <summary>A global the restricted unpickler allowed (module + name). It is a name only: nothing is imported or called.</summary>
public sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
    public override string ToString() => FullName;
}

/// <summary>A pickled tuple (reference equality: its items may contain the tuple itself).</summary>
public sealed class PickleTuple(object?[] items)
{
    public object?[] Items { get; } = items;
    public override string ToString() => $"tuple[{Items.Length}]";
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
}

/// <summary>A pickled dict or OrderedDict, insertion-ordered; keys may be any pickled value.</summary>
public sealed class PickleDict
{
    readonly Dictionary<object, int> _index = new();
    int _nullIndex = -1;

    public List<KeyValuePair<object?, object?>> Items { get; } = new();
    /// <summary>State set by BUILD (OrderedDict._metadata of module state dicts); kept, never interpreted.</summary>
    public object? State { get; set; }

    public void Set(object? key, object? value)
    {
        var i = key is null ? _nullIndex : _index.GetValueOrDefault(key, -1);
        if (i >= 0) { Items[i] = new(key, value); return; }
        if (key is null) _nullIndex = Items.Count; else _index[key] = Items.Count;
        Items.Add(new(key, value));
    }

    public object? Get(string key) => _index.TryGetValue(key, out var i) ? Items[i].Value : null;
}

/// <summary>
/// An object of an allowed but inert class (numpy scalar, Lightning callback state): its constructor arguments and
/// state are recorded as data. No code of the class exists here, so nothing can run.
/// Equality is by reference (not a record): a hostile pickle can make an object its own state, and a structural
/// hash or ToString would then recurse until the stack overflows.
/// </summary>
public sealed class PickleObject(PickleGlobal type, object? args)
{
    public PickleGlobal Type { get; } = type;
    public object? Args { get; } = args;
    public object? State { get; set; }
    public override string ToString() => Type.FullName + "(...)";
}
