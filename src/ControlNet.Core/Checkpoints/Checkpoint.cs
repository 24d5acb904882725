using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Checkpoints;

/// <summary>
/// An opened checkpoint (single file, diffusers folder or hub snapshot): its detected format, base architecture and
/// components in canonical names, with the tensors still on disk. Load components into modules with <see cref="LoadInto"/>;
/// dispose the checkpoint afterwards to release the files.
/// </summary>
public sealed class Checkpoint : IDisposable
{
    readonly List<StateDict> _files;
    readonly Dictionary<ModelComponent, ComponentWeights> _components;

    internal Checkpoint(string source, string format, IEnumerable<ComponentWeights> components, IEnumerable<StateDict> files,
        IReadOnlyList<string> ignored, IReadOnlyList<string> unknown, bool hasEma)
    {
        Source = source;
        Format = format;
        _files = files.ToList();
        _components = components.ToDictionary(c => c.Component);
        IgnoredKeys = ignored;
        UnknownKeys = unknown;
        HasEma = hasEma;
        Architecture = CheckpointDetector.DetectArchitecture(_components.Values);
    }

    /// <summary>The path (or hub snapshot folder) that was opened.</summary>
    public string Source { get; }
    /// <summary>Human-readable format, e.g. "original LDM single file (Stable Diffusion)" or "diffusers folder".</summary>
    public string Format { get; }
    public BaseArchitecture Architecture { get; }
    public IReadOnlyCollection<ComponentWeights> Components => _components.Values;
    /// <summary>Known extras set aside: schedule buffers, position_ids, model_ema.*.</summary>
    public IReadOnlyList<string> IgnoredKeys { get; }
    /// <summary>Keys of no known component.</summary>
    public IReadOnlyList<string> UnknownKeys { get; }
    public bool HasEma { get; }
    /// <summary>The underlying files with their raw keys.</summary>
    public IReadOnlyList<StateDict> Files => _files;
    /// <summary>"safetensors", "torch-zip" (or several, for folders).</summary>
    public string Container => string.Join("+", _files.Select(f => f.Container).Distinct());

    public bool Has(ModelComponent c) => _components.ContainsKey(c);

    public ComponentWeights this[ModelComponent c] => _components.TryGetValue(c, out var w) ? w : throw new InvalidDataException(Missing(c));

    /// <summary>Why <paramref name="c"/> is not here, in one line; an adapter where a ControlNet belongs (or the reverse) says which it is and where it goes.</summary>
    string Missing(ModelComponent c)
    {
        var adapter = _components.Keys.FirstOrDefault(k => k is ModelComponent.T2IAdapter or ModelComponent.StyleAdapter);
        if (c == ModelComponent.ControlNet && adapter is ModelComponent.T2IAdapter or ModelComponent.StyleAdapter)
            return $"'{Source}' is a {adapter.DisplayName()}, not a ControlNet; pass a ControlNet here (e.g. control_v11p_sd15_canny.pth), and use the adapter with generate --control TYPE:IMAGE:adapter={Path.GetFileName(Source)}.";
        if (c is ModelComponent.T2IAdapter or ModelComponent.StyleAdapter && _components.ContainsKey(ModelComponent.ControlNet))
            return $"'{Source}' is a ControlNet, not a {c.DisplayName()}; pass it as model={Path.GetFileName(Source)} in --control (adapter= takes T2I-Adapter files such as t2iadapter_depth_sd14v1.pth).";
        return $"'{Source}' ({Format}) has no {c.DisplayName()} weights; it holds: {string.Join(", ", _components.Keys.Select(k => k.DisplayName()))}. " +
            (c is ModelComponent.ControlNet or ModelComponent.T2IAdapter or ModelComponent.StyleAdapter
                ? "Pass a ControlNet file (e.g. control_v11p_sd15_canny.pth or lllyasviel/control_v11p_sd15_canny) or a T2I-Adapter (e.g. t2iadapter_depth_sd14v1.pth)."
                : "Pass a Stable Diffusion 1.5 model (e.g. v1-5-pruned-emaonly.safetensors or a diffusers folder).");
    }

    /// <summary>
    /// Strictly loads one component into a module whose state_dict() keys are the canonical names
    /// (U-Net/ControlNet/VAE: LDM keys without prefix; CLIP: text_model.*), converting to each parameter's dtype.
    /// <paramref name="part"/>, when given, selects the entries to load (<see cref="StrictLoader.Load"/>).
    /// </summary>
    public void LoadInto(nn.Module module, ModelComponent component, Func<string, bool>? part = null)
    {
        var w = this[component];
        StrictLoader.Load(module, w.ByName, Describe(w, component), Hint(w), part);
    }

    /// <summary>
    /// <see cref="LoadInto"/>'s strict check of names and shapes without reading any tensor: the same error now, for a
    /// network whose weights are read on first use (<see cref="Pipelines.MemoryPolicy.Release"/>).
    /// </summary>
    public void Check(nn.Module module, ModelComponent component, Func<string, bool>? part = null)
    {
        var w = this[component];
        StrictLoader.Check(module, w.ByName, Describe(w, component), Hint(w), part);
    }

    static string Describe(ComponentWeights w, ModelComponent component) => $"{w.SourceLayout} {component.DisplayName()} from {w.Source}";

    string? Hint(ComponentWeights w) => w.UnmappedKeys.Count > 0
        ? $"{w.UnmappedKeys.Count} diffusers keys had no mapping (e.g. {w.UnmappedKeys[0]}); the file may be from a different architecture."
        : Architecture == BaseArchitecture.Sd2 ? "the file is an SD 2.x model (cross-attention width 1024); this module expects SD 1.x." : null;

    /// <summary>All components as one original single file (prefixed keys), as the public .ckpt/.safetensors files are laid out.</summary>
    public IEnumerable<TensorRef> ToLdmSingleFile() => _components.Values.OrderBy(c => c.Component).SelectMany(c => c.AsLdmSingleFile());

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
    }
}
