using ControlNet.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models.Variants;

/// <summary>The paper's ablation (§4.3, Fig. 8) as training choices (<c>controlnet train --variant</c>).</summary>
public enum ControlNetVariant
{
    /// <summary>The paper's design: trainable copy of the base's encoder, joined by zero convolutions.</summary>
    ControlNet,
    /// <summary>Each trainable-copy block replaced by one convolution (<see cref="ControlNetLite"/>).</summary>
    Lite,
    /// <summary>The trainable copy, but the 13 zero convolutions replaced by standard Gaussian-initialised ones.</summary>
    GaussianInit,
}

/// <summary>Builds each <see cref="ControlNetVariant"/>, and recognises a lite one in a checkpoint.</summary>
public static class ControlNetVariants
{
    /// <summary>The names <c>--variant</c> takes, in enum order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["controlnet", "lite", "gaussian-init"];

    public static string Name(this ControlNetVariant variant) => Names[(int)variant];

    /// <exception cref="ArgumentException">an unknown name (the message lists them)</exception>
    public static ControlNetVariant Parse(string name)
    {
        int i = Names.ToList().FindIndex(n => string.Equals(n, name?.Trim(), StringComparison.OrdinalIgnoreCase));
        return i >= 0 ? (ControlNetVariant)i
            : throw new ArgumentException($"--variant '{name}' is unknown; use {string.Join(", ", Names)} (paper §4.3: the full ControlNet, ControlNet-lite, Gaussian-initialised instead of zero convolutions).");
    }

    /// <summary>
    /// A new trainable ControlNet of <paramref name="variant"/> for the U-Net <paramref name="unet"/> of catalogue
    /// architecture <paramref name="architecture"/>, on its device and dtype: the copy of the base's encoder (ControlNet,
    /// GaussianInit) or one conv per block (Lite). Every random initialisation (the fresh hint encoder, the lite convs,
    /// and a hint encoder chosen afterwards from the same stream) follows <paramref name="seed"/>, so two fresh runs
    /// with one seed start from the same weights.
    /// </summary>
    public static ControlNetModule Create(ControlNetVariant variant, string architecture, nn.Module unet, long seed = 0)
    {
        var first = unet.parameters().First();
        manual_seed(seed);
        switch (variant)
        {
            case ControlNetVariant.ControlNet:
                return ArchitectureCatalog.CreateControlNetFromUNet(architecture, unet);
            case ControlNetVariant.GaussianInit:
                var copy = ArchitectureCatalog.CreateControlNetFromUNet(architecture, unet);
                GaussianInit(copy, seed);
                return copy;
            case ControlNetVariant.Lite:
                return new ControlNetLite(ArchitectureCatalog.CreateControlNet(architecture, first.device, first.dtype));
            default:
                throw new ArgumentOutOfRangeException(nameof(variant), variant, null);
        }
    }

    /// <summary>
    /// Fig. 8c: "standard convolution layers initialized with Gaussian weights" in place of the zero convolutions
    /// (<c>zero_convs.*</c> and <c>middle_block_out.*</c>): weights N(0, 1/fan_in), which keeps a 1×1 conv's output at
    /// its input's scale, biases zero. The hint encoder's last conv stays zero. Returns how many convs were set.
    /// </summary>
    public static int GaussianInit(nn.Module controlNet, long seed = 0)
    {
        using var _ = no_grad();
        var generator = new Generator(unchecked((ulong)seed) + 0x9E3779B9);
        int count = 0;
        foreach (var (name, p) in controlNet.named_parameters())
        {
            if (!(name.StartsWith("zero_convs.", StringComparison.Ordinal) || name.StartsWith("middle_block_out.", StringComparison.Ordinal))) continue;
            if (p.dim() == 4)
            {
                long fanIn = p.shape[1] * p.shape[2] * p.shape[3];
                p.copy_(randn(p.shape, generator: generator) * (1.0 / Math.Sqrt(fanIn)));
                count++;
            }
            else p.zero_();
        }
        return count;
    }

    /// <summary>The module for checkpoint <paramref name="weights"/> (canonical names): <paramref name="fresh"/> itself, or a
    /// <see cref="ControlNetLite"/> around it when the file is a lite ControlNet.</summary>
    public static ControlNetModule ForWeights(ControlNetModule fresh, IReadOnlyDictionary<string, TensorRef> weights) =>
        weights.ContainsKey(ControlNetLite.MarkerKey) ? new ControlNetLite(fresh) : fresh;
}
