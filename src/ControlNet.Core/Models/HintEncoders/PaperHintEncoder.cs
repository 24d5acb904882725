using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models.HintEncoders;

/// <summary>
/// The hint encoder as the paper describes it (§3.2): "a tiny network E(·) of four convolution layers with 4 × 4 kernels
/// and 2 × 2 strides (activated by ReLU, using 16, 32, 64, 128 channels respectively, initialized with Gaussian weights)".
/// Four stride-2 convs would shrink 512 px to 32, not to the 64×64 latent the paper names, so the stride is 2 on the
/// first log2(D) convs only (D = 8: three; the pixel-space toy, D = 1: none) and 1 after. Then a zero-initialised 1×1
/// projection to the model width, so a fresh ControlNet adds nothing (the released code's encoder ends the same way).
/// Keys: <c>0, 2, 4, 6</c> (convs), <c>8</c> (projection).
/// </summary>
public static class PaperHintEncoder
{
    /// <summary>Widths of the four 4×4 convs (paper §3.2).</summary>
    public static IReadOnlyList<int> Widths { get; } = [16, 32, 64, 128];

    /// <summary>A fresh encoder: [B, C, H, W] in [0, 1] → [B, <paramref name="outputChannels"/>, H/D, W/D].</summary>
    /// <param name="downsampling">D: a power of two up to 16</param>
    public static Sequential Create(int inputChannels, int outputChannels, int downsampling, Device? device = null, ScalarType? dtype = null)
    {
        int strided = System.Numerics.BitOperations.Log2((uint)downsampling);
        if (downsampling < 1 || (1 << strided) != downsampling || strided > Widths.Count)
            throw new ArgumentOutOfRangeException(nameof(downsampling), downsampling, "The paper's hint encoder downsamples by a power of two up to 16 (one stride-2 conv each).");
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        long cin = inputChannels;
        for (int k = 0; k < Widths.Count; k++)
        {
            // Stride 2 with padding 1 halves exactly; stride 1 keeps the size with "same" padding (one more on the bottom/right).
            var conv = k < strided
                ? nn.Conv2d(cin, Widths[k], 4, stride: 2, padding: 1, device: device, dtype: dtype)
                : nn.Conv2d(cin, Widths[k], 4, stride: 1, padding: Padding.Same, device: device, dtype: dtype);
            Gaussian(conv);
            modules.Add((Key(2 * k), conv));
            modules.Add((Key(2 * k + 1), nn.ReLU()));
            cin = Widths[k];
        }
        modules.Add((Key(2 * Widths.Count), ZeroModule.Zeroed(nn.Conv2d(cin, outputChannels, 1, device: device, dtype: dtype))));
        return nn.Sequential(modules);
    }

    /// <summary>He-normal weights N(0, 2/fan_in), which keeps activations at scale through ReLU; zero biases.</summary>
    static void Gaussian(Conv2d conv)
    {
        using var _ = no_grad();
        var w = conv.weight!;
        long fanIn = w.shape[1] * w.shape[2] * w.shape[3];
        w.normal_(0, Math.Sqrt(2.0 / fanIn));
        conv.bias!.zero_();
    }

    static string Key(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
