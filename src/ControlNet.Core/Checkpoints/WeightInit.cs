using static TorchSharp.torch;

namespace ControlNet.Checkpoints;

/// <summary>
/// New weights for keys a base model cannot supply: PyTorch's default initialisation (kaiming_uniform with a=√5, i.e.
/// U(±1/√fan_in) for weights and biases of convs and linears), norms at 1/0, and zeros for the ControlNet's zero convs
/// (paper §3.1; cldm.py zero_module on zero_convs, middle_block_out and the hint encoder's last conv).
/// Each tensor has its own generator seeded from (seed, index), so files are reproducible and written streaming.
/// </summary>
public static class WeightInit
{
    public static bool IsZeroInitialised(string canonicalControlName) =>
        canonicalControlName.StartsWith("zero_convs.", StringComparison.Ordinal)
        || canonicalControlName.StartsWith("middle_block_out.", StringComparison.Ordinal)
        || canonicalControlName.StartsWith("input_hint_block.14.", StringComparison.Ordinal);

    /// <summary>A lazily generated tensor for <paramref name="name"/> with PyTorch-default statistics.</summary>
    public static TensorRef Default(string name, long[] shape, TensorDType dtype, long seed, int index, bool zero = false, IReadOnlyDictionary<string, long[]>? shapesForBias = null)
    {
        return new ComputedTensorRef(name, dtype, shape, () =>
        {
            if (zero) return zeros(shape);
            var gen = new Generator((ulong)(seed * 1_000_003 + index));
            var isBias = name.EndsWith(".bias", StringComparison.Ordinal);
            var isNorm = shape.Length == 1 && !isBias && !name.Contains("embedding", StringComparison.Ordinal);
            if (isNorm) return ones(shape);
            if (shape.Length == 2 && name.Contains("embedding", StringComparison.Ordinal))
                return randn(shape, generator: gen) * (name.Contains("position", StringComparison.Ordinal) ? 0.01 : 0.02);
            long fanIn;
            if (isBias)
            {
                // A bias is initialised from its weight's fan-in.
                var weightName = name[..^".bias".Length] + ".weight";
                fanIn = shapesForBias is not null && shapesForBias.TryGetValue(weightName, out var ws) ? FanIn(ws) : shape[0];
                if (name.Contains("norm", StringComparison.Ordinal) && shapesForBias?.GetValueOrDefault(weightName)?.Length == 1) return zeros(shape);
            }
            else fanIn = FanIn(shape);
            var bound = 1.0 / Math.Sqrt(Math.Max(fanIn, 1));
            return rand(shape, generator: gen) * (2 * bound) - bound;
        });
    }

    static long FanIn(long[] shape) => shape.Length < 2 ? shape[0] : shape.Skip(1).Aggregate(1L, (a, b) => a * b);

    /// <summary>Full-size random-weight files in the original layout, for benchmarks and tests without downloads.</summary>
    public static IEnumerable<TensorRef> Random(ArchitectureShapes arch, IEnumerable<ModelComponent> components, TensorDType dtype, long seed)
    {
        var index = 0;
        foreach (var c in components)
        {
            var shapes = arch.Enumerate(c);
            var byName = shapes.ToDictionary(s => s.Name, s => s.Shape);
            foreach (var (name, shape) in shapes)
                yield return Default(c.LdmPrefix() + name, shape, dtype, seed, index++,
                    zero: c == ModelComponent.ControlNet && IsZeroInitialised(name), shapesForBias: byName);
        }
    }
}
