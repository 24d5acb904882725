using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// timm's <c>StdConv2dSame</c> as the ViT-hybrid ResNet builds it (timm 0.6.12 vision_transformer_hybrid <c>_resnetv2</c>:
/// eps 1e-8, no bias): the stored <c>weight</c> is standardised per output channel (mean 0, biased variance 1) before every
/// convolution, and padding is TensorFlow's "SAME" (stride 1: symmetric k/2; stride 2: computed from the input size, the
/// extra pixel going right and bottom).
/// </summary>
public sealed class StdConv2dSame : nn.Module<Tensor, Tensor>
{
    const double Eps = 1e-8;

    private readonly Parameter weight;
    private readonly int _kernel;
    private readonly int _stride;

    public StdConv2dSame(long inChannels, long outChannels, int kernel, int stride = 1) : base(nameof(StdConv2dSame))
    {
        _kernel = kernel;
        _stride = stride;
        weight = new Parameter(empty(outChannels, inChannels, kernel, kernel));
        nn.init.kaiming_uniform_(weight, Math.Sqrt(5));
        RegisterComponents();
    }

    /// <summary>timm <c>get_same_padding</c>: the total padding so that the output has ceil(size / stride) pixels.</summary>
    public static int SamePadding(long size, int kernel, int stride) =>
        (int)Math.Max((((size + stride - 1) / stride) - 1) * stride + kernel - size, 0);

    /// <summary>timm <c>pad_same</c>: pads [B, C, H, W] by <see cref="SamePadding"/>, the smaller half left/top.</summary>
    public static Tensor PadSame(Tensor x, int kernel, int stride, double value = 0)
    {
        int ph = SamePadding(x.shape[2], kernel, stride), pw = SamePadding(x.shape[3], kernel, stride);
        return ph == 0 && pw == 0 ? x.alias() : nn.functional.pad(x, [pw / 2, pw - pw / 2, ph / 2, ph - ph / 2], value: value);
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <returns>[B, Cout, ceil(H/stride), ceil(W/stride)]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // F.batch_norm(w.reshape(1, O, -1), training=True): per output channel, biased variance.
        var (variance, mean) = var_mean(weight, [1, 2, 3], unbiased: false, keepdim: true);  // [O, 1, 1, 1]
        var standardized = (weight - mean) / (variance + Eps).sqrt();                         // [O, I, k, k]
        Tensor y;
        if (_stride == 1)
            y = nn.functional.conv2d(x, standardized, padding: [_kernel / 2, _kernel / 2]);  // static SAME (odd kernels)
        else
            y = nn.functional.conv2d(PadSame(x, _kernel, _stride), standardized, strides: [_stride, _stride]);
        return y.MoveToOuterDisposeScope();
    }
}
