namespace ControlNet.Checkpoints;

/// <summary>
/// The tensors of one component under canonical names (LDM keys without prefix; CLIP: its HF names), whatever the file's
/// layout was. Diffusers names are mapped through <see cref="KeyMap"/>; the bytes are not touched until loaded.
/// </summary>
public sealed class ComponentWeights
{
    public ComponentWeights(ModelComponent component, KeyLayout sourceLayout, string source, IReadOnlyList<TensorRef> tensors, IReadOnlyList<string> unmappedKeys)
    {
        Component = component;
        SourceLayout = sourceLayout;
        Source = source;
        Tensors = tensors;
        UnmappedKeys = unmappedKeys;
        var byName = new Dictionary<string, TensorRef>(tensors.Count, StringComparer.Ordinal);
        foreach (var t in tensors)
            if (!byName.TryAdd(t.Name, t))
                throw new InvalidDataException($"'{source}' holds the {component.DisplayName()} tensor '{t.Name}' twice (two keys map to one name); the file is corrupt.");
        ByName = byName;
    }

    /// <summary>
    /// The tensor <paramref name="key"/> with the given rank (any rank when null), or an error naming the key: structure is checked before
    /// use, because a hostile or damaged file can hold any shape under any name.
    /// </summary>
    public TensorRef Require(string key, int? rank, string purpose)
    {
        if (!ByName.TryGetValue(key, out var t))
            throw new InvalidDataException($"'{Source}': the {Component.DisplayName()} has no '{key}', needed for {purpose}; the weights are not a complete SD 1.x/2.x {Component.DisplayName()}.");
        if (rank is not null && t.Shape.Length != rank)
            throw new InvalidDataException($"'{Source}': '{key}' has shape [{string.Join(", ", t.Shape)}] but {purpose} needs a {rank}-D tensor; the file is corrupt.");
        return t;
    }

    public ModelComponent Component { get; }
    /// <summary>The naming found in the file (the tensors here are always canonical).</summary>
    public KeyLayout SourceLayout { get; }
    /// <summary>File the tensors come from.</summary>
    public string Source { get; }
    public IReadOnlyList<TensorRef> Tensors { get; }
    public IReadOnlyDictionary<string, TensorRef> ByName { get; }
    /// <summary>Keys of this component's section the key map could not name (reported by inspect and strict load).</summary>
    public IReadOnlyList<string> UnmappedKeys { get; }

    public long ParameterCount => Tensors.Sum(t => t.NumElements);
    public long ByteCount => Tensors.Sum(t => t.ByteLength);
    public IReadOnlyList<TensorDType> DTypes => Tensors.Select(t => t.DType).Distinct().OrderBy(d => d).ToList();

    /// <summary>The same tensors in diffusers naming (for writing diffusers files).</summary>
    public IEnumerable<TensorRef> AsDiffusers()
    {
        if (Component == ModelComponent.StyleAdapter)
            throw new NotSupportedException($"'{Source}' is a T2I style adapter, which diffusers has no class for; it only has TencentARC's layout (convert it with --to ldm, e.g. to change its dtype).");
        if (Component == ModelComponent.T2IAdapter)
        {
            // The adapter's body (full or light, blocks per level) decides its diffusers names.
            var config = Models.Adapters.T2IAdapterConfig.FromWeights(this);
            return Tensors.Select(t => KeyMap.T2IAdapterToDiffusers(t, config) ?? throw new InvalidDataException($"'{Source}': T2I-Adapter key '{t.Name}' has no diffusers name; the file is not a TencentARC adapter."));
        }
        // Block numbers differ between layouts: map with the catalogue architecture these weights have (else SD 1.x / 2.x).
        var unet = Models.ArchitectureCatalog.Detect(this)?.Architecture;
        return Tensors.Select(t => KeyMap.ToDiffusers(Component, t, unet) ?? throw new InvalidOperationException($"{Component.DisplayName()} key '{t.Name}' has no diffusers name in the key map."));
    }

    /// <summary>The same tensors with the original single-file prefix (model.diffusion_model., control_model., ...).</summary>
    /// <remarks>T2I-Adapters are the exception: their original files (TencentARC's t2iadapter_*_sd14v1.pth) carry no prefix, so neither does this.</remarks>
    public IEnumerable<TensorRef> AsLdmSingleFile() => Component is ModelComponent.T2IAdapter or ModelComponent.StyleAdapter
        ? Tensors
        : Tensors.Select(t => t.As(Component.LdmPrefix() + t.Name));
}
