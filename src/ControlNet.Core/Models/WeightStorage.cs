using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// 16-bit weight storage with fp32 compute (<c>--weights-dtype fp16|bf16</c>): every layer that owns parameters keeps them
/// in fp16 or bf16 and is widened to fp32 just before it runs and narrowed again right after, so at most one layer's
/// weights exist in fp32 at a time. Halves the weights' memory on CPUs without native 16-bit math, where computing in
/// 16 bits would be slower (or unsupported) and less accurate. The only numerical change from fp32 is the rounding of each
/// weight to 16 bits (fp16: 11-bit mantissa, bf16: 8-bit): activations, norms and attention stay fp32. Narrowing the
/// widened copy gives back the same 16-bit values, so the weights do not drift over calls.
/// </summary>
public static class WeightStorage
{
    /// <summary>
    /// Stores <paramref name="root"/>'s weights in <paramref name="storage"/> (Float16 or BFloat16) and hooks its layers;
    /// returns the number of layers converted. Throws when a module owns parameters but cannot be hooked (its weights
    /// would otherwise be used in 16 bits).
    /// </summary>
    public static int Apply(nn.Module root, ScalarType storage)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (storage is not (ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"Weight storage must be fp16 or bf16; got {storage}.", nameof(storage));
        int layers = 0;
        using var noGrad = torch.no_grad();
        foreach (var m in root.modules().Prepend(root))
        {
            if (!m.named_parameters(recurse: false).Any()) continue;
            if (m.named_children().Any(c => c.module.parameters().Any()))
                throw new NotSupportedException($"{m.GetType().Name} owns parameters and has children with parameters; 16-bit weight storage hooks leaf layers only.");
            if (m is not nn.Module<Tensor, Tensor> layer)
                throw new NotSupportedException($"{m.GetType().Name} owns parameters but is not a one-input layer; 16-bit weight storage cannot widen its weights for compute.");
            var compute = m.parameters().First().dtype;
            if (compute != ScalarType.Float32)
                throw new InvalidOperationException($"16-bit weight storage widens to fp32, but {m.GetType().Name} is {compute}; load the model in fp32 first.");
            layer.to(storage);
            layer.register_forward_pre_hook((module, input) =>
            {
                module.to(compute);                               // this layer only: [its weights] in fp32 while it runs
                return input;
            });
            layer.register_forward_hook((module, _, output) =>
            {
                module.to(storage);                               // the fp32 copy is released here
                return output;
            });
            layers++;
        }
        return layers;
    }

    /// <summary>"fp16" / "bf16" → the storage type; "fp32" → null (no conversion).</summary>
    public static ScalarType? Parse(string weightsDType) => weightsDType.ToLowerInvariant() switch
    {
        "fp32" or "float32" => null,
        "fp16" or "float16" or "half" => ScalarType.Float16,
        "bf16" or "bfloat16" => ScalarType.BFloat16,
        _ => throw new ArgumentException($"Weights dtype '{weightsDType}' is not one of fp32, fp16, bf16."),
    };
}
