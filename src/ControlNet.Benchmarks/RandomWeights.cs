using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Benchmarks;

/// <summary>
/// Fills every parameter with non-zero random values (weights U(±1/√fan_in), norm scales 1 ± 0.1, biases U(±0.1)), so no
/// kernel sees the zero-initialised convs of a fresh U-Net or ControlNet and takes a shortcut. Values do not matter for speed.
/// </summary>
internal static class RandomWeights
{
    public static void Fill(nn.Module module, long seed)
    {
        using var noGrad = torch.no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (name, p) in module.named_parameters())
        {
            if (p.dim() >= 2)
            {
                var fanIn = p.shape.Skip(1).Aggregate(1L, (a, b) => a * b);
                var bound = 1.0 / Math.Sqrt(fanIn);
                p.uniform_(-bound, bound, generator);
            }
            else if (name.EndsWith("weight", StringComparison.Ordinal))
                p.uniform_(0.9, 1.1, generator);
            else
                p.uniform_(-0.1, 0.1, generator);
        }
    }
}
