namespace ControlNet.Checkpoints.Pickle;

/// <summary>A global the restricted unpickler allowed (module + name). It is a name only: nothing is imported or called.</summary>
public sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
    public override string ToString() => FullName;
}

/// <summary>A pickled tuple.</summary>
public sealed record PickleTuple(object?[] Items)
{
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
}

/// <summary>A pickled dict or OrderedDict, insertion-ordered; keys may be any pickled value.</summary>
public sealed class PickleDict
{
    public List<KeyValuePair<object?, object?>> Items { get; } = new();
    /// <summary>State set by BUILD (OrderedDict._metadata of module state dicts); kept, never interpreted.</summary>
    public object? State { get; set; }

    public void Set(object? key, object? value)
    {
        for (var i = 0; i < Items.Count; i++)
            if (Equals(Items[i].Key, key)) { Items[i] = new(key, value); return; }
        Items.Add(new(key, value));
    }

    public object? Get(string key) => Items.FirstOrDefault(kv => kv.Key is string s && s == key).Value;
}

/// <summary>
/// An object of an allowed but inert class (numpy scalar, Lightning callback state): its constructor arguments and
/// state are recorded as data. No code of the class exists here, so nothing can run.
/// </summary>
public sealed record PickleObject(PickleGlobal Type, object? Args)
{
    public object? State { get; set; }
}
