using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// A 2-D convolution (same <c>weight</c>/<c>bias</c> keys, shapes and initialisation as <c>nn.Conv2d</c>) that runs as
/// an explicit im2col GEMM — <c>unfold</c> then one matrix product — where libtorch's oneDNN convolution is slow: 1×1
/// and 3×3 convolutions whose feature map is small against their channels (the U-Net's 1280-channel levels
/// at 4×4 … 16×16 latents run 1.5–2.7× faster this way on a 2-core AVX-512 CPU; docs/performance.md, "The step").
/// Elsewhere, and whenever autograd is recording (training), it calls the same <c>conv2d</c> as <c>nn.Conv2d</c>, with
/// identical results.
/// <see cref="ConvolutionKernelScope"/> can force either kernel for the calls in a scope.
/// </summary>
public sealed class AdaptiveConv2d : Convolution
{
    /// <summary>A k×k convolution (k &gt; 1) uses the GEMM only when C_in·k² ≥ this × H_out·W_out (a long reduction for each output pixel) …</summary>
    public const int GemmMinReductionPerOutputPixel = 32;

    /// <summary>… and C_out ≥ this × H_out·W_out (a short, wide output): measured, 1280 → 1280 channels at 16×16 gain, 1920 → 640 at 16×16 lose.</summary>
    public const int GemmMinOutputChannelsPerOutputPixel = 5;

    /// <summary>A 1×1 convolution uses the GEMM up to this many output pixels (16×16): faster alone at every size, but at
    /// 32×32 and 64×64 the whole 512 step ran no faster with it.</summary>
    public const int GemmMaxPixelsFor1x1 = 256;

    public AdaptiveConv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, bool bias = true,
        Device? device = null, ScalarType? dtype = null)
        : base(nameof(AdaptiveConv2d), inChannels, outChannels, [kernelSize, kernelSize], [stride, stride], [padding, padding],
            null, [1, 1], false, [0, 0], 1, bias, PaddingModes.Zeros, device, dtype)
    {
    }

    /// <summary>Whether a call on an input of spatial size <paramref name="height"/>×<paramref name="width"/> runs as a GEMM.</summary>
    public bool UsesGemm(long height, long width)
    {
        var kernel = ConvolutionKernelScope.Current;
        if (kernel != ConvolutionKernel.Auto) return kernel == ConvolutionKernel.Gemm;
        // Inference only: the GEMM's backward (fold) was not measured, and training keeps libtorch's convolution numerics.
        if (is_grad_enabled()) return false;
        long k = kernel_size![0], s = stride![0], p = padding![0];
        long hOut = (height + 2 * p - k) / s + 1, wOut = (width + 2 * p - k) / s + 1;
        if (k == 1 && s == 1 && p == 0) return hOut * wOut <= GemmMaxPixelsFor1x1;
        return in_channels * k * k >= GemmMinReductionPerOutputPixel * hOut * wOut
            && out_channels >= GemmMinOutputChannelsPerOutputPixel * hOut * wOut;
    }

    /// <param name="x">[B, C_in, H, W]</param>
    /// <returns>[B, C_out, H_out, W_out]</returns>
    public override Tensor forward(Tensor x)
    {
        long height = x.shape[2], width = x.shape[3];
        if (!UsesGemm(height, width))
            return nn.functional.conv2d(x, weight, bias, stride, padding);
        using var scope = NewDisposeScope();
        long b = x.shape[0], k = kernel_size![0], s = stride![0], p = padding![0];
        long hOut = (height + 2 * p - k) / s + 1, wOut = (width + 2 * p - k) / s + 1;
        var columns = k == 1 && s == 1 && p == 0
            ? x.reshape(b, in_channels, height * width)                                            // [B, C_in, H·W]
            : nn.functional.unfold(x, (k, k), padding: (p, p), stride: (s, s));                     // [B, C_in·k², H_out·W_out]
        var y = matmul(weight.reshape(out_channels, -1), columns);                                  // [B, C_out, H_out·W_out]; reshape: the weight may be channels-last
        if (bias is not null) y = y + bias.view(1, out_channels, 1);
        return y.view(b, out_channels, hOut, wOut).MoveToOuterDisposeScope();                       // [B, C_out, H_out, W_out]
    }
}
