using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Mlsd;

/// <summary>
/// MobileNetV2 inverted residual (M-LSD's copy): [1×1 expand ConvBNReLU when t ≠ 1] → 3×3 depth-wise ConvBNReLU → 1×1 linear
/// conv → batch norm, all under the key <c>conv.{i}</c>; a skip connection when the stride is 1 and the widths agree.
/// </summary>
public sealed class MlsdInvertedResidual : nn.Module<Tensor, Tensor>
{
    private readonly Sequential conv;
    private readonly bool _residual;

    public MlsdInvertedResidual(long inChannels, long outChannels, int stride, int expandRatio) : base(nameof(MlsdInvertedResidual))
    {
        var hidden = inChannels * expandRatio;
        var layers = new List<nn.Module<Tensor, Tensor>>();
        if (expandRatio != 1) layers.Add(new MlsdConvBnRelu(inChannels, hidden, kernelSize: 1));
        layers.Add(new MlsdConvBnRelu(hidden, hidden, stride: stride, groups: hidden));
        layers.Add(nn.Conv2d(hidden, outChannels, 1, bias: false));
        layers.Add(nn.BatchNorm2d(outChannels));
        conv = nn.Sequential(layers);
        _residual = stride == 1 && inChannels == outChannels;
        RegisterComponents();
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <returns>[B, Cout, H/stride, W/stride]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = conv.call(x);
        return (_residual ? x + h : h).MoveToOuterDisposeScope();
    }
}
