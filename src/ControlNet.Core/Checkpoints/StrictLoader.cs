using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Checkpoints;

/// <summary>Thrown when a checkpoint does not match a module: lists missing, unexpected and mis-shaped keys.</summary>
public sealed class CheckpointMismatchException(string message, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misshaped)
    : InvalidOperationException(message)
{
    public IReadOnlyList<string> Missing { get; } = missing;
    public IReadOnlyList<string> Unexpected { get; } = unexpected;
    public IReadOnlyList<string> Misshaped { get; } = misshaped;
}

/// <summary>
/// Copies weights into any TorchSharp module after checking, before any copy, that the module's state_dict() names and
/// shapes equal the file's (nanoGPT from_pretrained, diffusers single-file loader). One tensor is materialised at a time.
/// </summary>
public static class StrictLoader
{
    /// <summary>Module entries a file may legitimately lack (non-persistent in current transformers).</summary>
    static bool Optional(string name) => name.EndsWith("embeddings.position_ids", StringComparison.Ordinal);

    /// <param name="description">what the weights are, for the error ("diffusers ControlNet from x.safetensors")</param>
    /// <param name="part">when given, only the module entries and file keys it selects are compared and loaded (e.g. the
    /// VAE's decoder without its encoder); the check stays strict within that part</param>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, TensorRef> weights, string description, string? hint = null, Func<string, bool>? part = null)
    {
        var (target, selected) = Check(module, weights, description, hint, part);
        using var _ = no_grad();
        foreach (var (name, param) in target)
        {
            if (!selected.TryGetValue(name, out var w)) continue; // optional buffer
            if (param.dtype == w.DType.ToScalarType() && param.device_type == DeviceType.CPU && param.is_contiguous() && w.ByteLength > 0)
            {
                w.ReadBytes(TensorRef.Span(param)); // straight from the file (page cache) into the parameter: no temporary
                continue;
            }
            using var src = w.ToTensor(param.dtype);
            param.copy_(src);
        }
    }

    /// <summary>
    /// The check <see cref="Load"/> makes before copying — names and shapes from the file's header, no tensor data read —
    /// alone: a network whose weights are read later (<see cref="Pipelines.MemoryPolicy.Release"/>) fails at load time
    /// with the same message. Returns the module's entries and the file's, both narrowed to <paramref name="part"/>.
    /// </summary>
    public static (Dictionary<string, Tensor> Target, IReadOnlyDictionary<string, TensorRef> Weights) Check(nn.Module module,
        IReadOnlyDictionary<string, TensorRef> weights, string description, string? hint = null, Func<string, bool>? part = null)
    {
        var target = module.state_dict();
        if (part is not null)
        {
            target = target.Where(kv => part(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
            weights = weights.Where(kv => part(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        }
        var missing = target.Keys.Where(k => !weights.ContainsKey(k) && !Optional(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var unexpected = weights.Keys.Where(k => !target.ContainsKey(k) && !Optional(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var misshaped = target.Where(kv => weights.TryGetValue(kv.Key, out var w) && !w.Shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: file [{string.Join(", ", weights[kv.Key].Shape)}], module [{string.Join(", ", kv.Value.shape)}]")
            .ToList();
        if (missing.Count + unexpected.Count + misshaped.Count > 0)
            throw new CheckpointMismatchException(Message(module, description, hint, missing, unexpected, misshaped), missing, unexpected, misshaped);
        return (target, weights);
    }

    static string Message(nn.Module module, string description, string? hint, List<string> missing, List<string> unexpected, List<string> misshaped)
    {
        static string List(string title, List<string> keys) => keys.Count == 0 ? "" :
            $"\n  {title} ({keys.Count}): " + string.Join(", ", keys.Take(8)) + (keys.Count > 8 ? $", ... (+{keys.Count - 8} more)" : "");
        return $"The weights ({description}) do not match {module.GetType().Name}:" +
               List("missing in the file", missing) + List("unexpected in the file", unexpected) + List("shape differs", misshaped) +
               "\n  Hint: " + (hint ?? "check that the file is an SD 1.5 model of the component you are loading (run `controlnet inspect FILE`).");
    }
}
