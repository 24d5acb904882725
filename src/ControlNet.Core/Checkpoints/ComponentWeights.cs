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
        ByName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
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
        // Block numbers differ between layouts: map with the catalogue architecture these weights have (else SD 1.x / 2.x).
        var unet = Models.ArchitectureCatalog.Detect(this)?.Architecture;
        return Tensors.Select(t => KeyMap.ToDiffusers(Component, t, unet) ?? throw new InvalidOperationException($"{Component.DisplayName()} key '{t.Name}' has no diffusers name in the key map."));
    }

    /// <summary>The same tensors with the original single-file prefix (model.diffusion_model., control_model., ...).</summary>
    public IEnumerable<TensorRef> AsLdmSingleFile() => Tensors.Select(t => t.As(Component.LdmPrefix() + t.Name));
}
