using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>timm resnetv2 <c>DownsampleConv</c> (non-pre-activation): the shortcut's 1×1 weight-standardised conv and a GroupNorm(32) without activation.</summary>
public sealed class ResNetV2Downsample : nn.Module<Tensor, Tensor>
{
    private readonly StdConv2dSame conv;
    private readonly GroupNorm norm;

    public ResNetV2Downsample(long inChannels, long outChannels, int stride) : base(nameof(ResNetV2Downsample))
    {
        conv = new StdConv2dSame(inChannels, outChannels, 1, stride);
        norm = ResNetV2Backbone.Norm(outChannels);
        RegisterComponents();
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <returns>[B, Cout, H/stride, W/stride]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return norm.call(conv.call(x)).MoveToOuterDisposeScope();
    }
}
