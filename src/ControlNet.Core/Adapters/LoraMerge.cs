using ControlNet.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Adapters;

/// <summary>
/// LoRA layers merged into the weights of loaded networks: W ← W + weight · (alpha/rank) · up·down, reshaped to W
/// (a linear LoRA on SD 1.5's 1×1-conv proj_in/proj_out, a LoCon LoRA on a 3×3 conv). Each touched weight's original
/// tensor is kept, so <see cref="Unmerge()"/> (or <see cref="Dispose"/>) restores the base weights bit for bit.
/// Layers are found by the module's own parameter names (LDM for the U-Net and ControlNet, Hugging Face for CLIP) and by
/// their diffusers names through <see cref="KeyMap"/>, each in the dotted (PEFT) and the underscored (kohya) spelling.
/// </summary>
public sealed class LoraMerge : IDisposable
{
    readonly List<(Tensor Parameter, Tensor Original, LoraTarget Target)> _originals = [];
    bool _merged;

    LoraMerge(IReadOnlyList<string> unmatched, int mergedLayers)
    {
        Unmatched = unmatched;
        MergedLayers = mergedLayers;
        _merged = true;
    }

    /// <summary>LoRA keys that matched no weight of the given networks (plus keys of unsupported adapter kinds).</summary>
    public IReadOnlyList<string> Unmatched { get; }

    /// <summary>Number of LoRA layers merged.</summary>
    public int MergedLayers { get; }

    /// <summary>
    /// Merges <paramref name="loras"/> (each with its weight, 1 = as trained) into the networks the files target. A file
    /// whose layers match none of the networks is an error naming its first keys; partial matches are reported in
    /// <see cref="Unmatched"/>. <paramref name="controlNets"/> receive <c>lora_controlnet_*</c> / <c>controlnet.*</c> layers.
    /// </summary>
    public static LoraMerge Apply(IEnumerable<(LoraFile File, double Weight)> loras, nn.Module? unet, nn.Module? textEncoder,
        IEnumerable<nn.Module>? controlNets = null)
    {
        var targets = new Dictionary<LoraTarget, List<Dictionary<string, Tensor>>>
        {
            [LoraTarget.Unet] = unet is null ? [] : [Index(unet, ModelComponent.Unet)],
            [LoraTarget.TextEncoder] = textEncoder is null ? [] : [Index(textEncoder, ModelComponent.TextEncoder)],
            [LoraTarget.ControlNet] = (controlNets ?? []).Select(c => Index(c, ModelComponent.ControlNet)).ToList(),
        };
        var merge = new LoraMerge([], 0);
        var unmatched = new List<string>();
        int mergedLayers = 0;
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        try
        {
            using var noGrad = no_grad();
            foreach (var (file, weight) in loras)
            {
                int before = mergedLayers;
                foreach (var layer in file.Layers)
                {
                    var parameters = targets[layer.Target].Select(index => index.GetValueOrDefault(Normalize(layer.Path, layer.Underscored))).OfType<Tensor>().ToList();
                    if (parameters.Count == 0) { unmatched.Add(layer.Key); continue; }
                    foreach (var p in parameters)
                    {
                        if (seen.Add(p)) merge._originals.Add((p, p.detach().clone(), layer.Target));
                        AddDelta(p, layer, weight, file.Name);
                    }
                    mergedLayers++;
                }
                if (mergedLayers == before)
                    throw new InvalidDataException($"LoRA '{file.Name}' matches no weight of the model ({file.Layers.Count} layers, e.g. {string.Join(", ", file.Layers.Take(3).Select(l => l.Key))}); it was made for another architecture (SD 1.x LoRAs start with lora_unet_/lora_te_ or unet./text_encoder.).");
                unmatched.AddRange(file.Unsupported);
            }
        }
        catch
        {
            merge.Unmerge();
            merge.Dispose();
            throw;
        }
        var result = new LoraMerge(unmatched, mergedLayers);
        result._originals.AddRange(merge._originals);
        merge._originals.Clear();
        return result;
    }

    static void AddDelta(Tensor parameter, LoraLayer layer, double weight, string file)
    {
        using var scope = NewDisposeScope();
        var up = layer.Up.to(parameter.device).flatten(1);     // [out, r]
        var down = layer.Down.to(parameter.device).flatten(1); // [r, in·kh·kw]
        var delta = matmul(up, down);                          // [out, in·kh·kw]
        if (delta.numel() != parameter.numel() || delta.shape[0] != parameter.shape[0])
            throw new InvalidDataException($"LoRA '{file}' layer {layer.Key} gives a [{string.Join(", ", delta.shape)}] update for a [{string.Join(", ", parameter.shape)}] weight; the file belongs to another model size.");
        parameter.add_((delta.reshape(parameter.shape) * (weight * layer.Scale)).to(parameter.dtype));
    }

    /// <summary>
    /// The parameter name each LoRA layer path (without its file prefix) resolves to in <paramref name="module"/>, or null:
    /// e.g. kohya's "down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q" → "input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight".
    /// </summary>
    public static IReadOnlyList<string?> Resolve(nn.Module module, ModelComponent component, IEnumerable<(string Path, bool Underscored)> paths)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, name, _) in IndexEntries(module, component)) names.TryAdd(key, name);
        return paths.Select(p => names.GetValueOrDefault(Normalize(p.Path, p.Underscored))).ToList();
    }

    /// <summary>Weight parameters of <paramref name="module"/> under every name a LoRA file may give their layer.</summary>
    static Dictionary<string, Tensor> Index(nn.Module module, ModelComponent component)
    {
        var index = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, _, parameter) in IndexEntries(module, component)) index.TryAdd(key, parameter);
        return index;
    }

    static IEnumerable<(string Key, string Name, Tensor Parameter)> IndexEntries(nn.Module module, ModelComponent component)
    {
        foreach (var (name, parameter) in module.named_parameters())
        {
            if (!name.EndsWith(".weight", StringComparison.Ordinal) || parameter.dim() is not (2 or 4)) continue;
            yield return (Normalize(name[..^".weight".Length], underscored: false), name, parameter);
            if (component != ModelComponent.TextEncoder && KeyMap.ToDiffusers(component, name, parameter.shape) is { } diffusers)
                yield return (Normalize(diffusers.Name[..^".weight".Length], underscored: false), name, parameter);
        }
    }

    // kohya replaces every '.' by '_', so both spellings are compared with '_' only.
    static string Normalize(string path, bool underscored) => path.Replace('.', '_');

    /// <summary>Restores every touched weight to its value before the merge, bit for bit. Idempotent.</summary>
    public void Unmerge()
    {
        if (!_merged) return;
        using (no_grad())
            foreach (var (parameter, original, _) in _originals)
                parameter.copy_(original);
        _merged = false;
    }

    /// <summary>
    /// Restores the weights of one network now (bit for bit) and forgets them, the others staying merged: the pipeline
    /// unmerges the text encoder right after encoding the prompt, before it may free that network
    /// (<see cref="Pipelines.MemoryPolicy.Release"/>), so a reloaded text encoder never meets a stale merge.
    /// </summary>
    public void Unmerge(LoraTarget target)
    {
        if (!_merged) return;
        using (no_grad())
            foreach (var (parameter, original, _) in _originals.Where(o => o.Target == target))
            {
                parameter.copy_(original);
                original.Dispose();
            }
        _originals.RemoveAll(o => o.Target == target);
    }

    public void Dispose()
    {
        Unmerge();
        foreach (var (_, original, _) in _originals) original.Dispose();
        _originals.Clear();
    }
}
