using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// timm <c>create_resnetv2_stem</c> with stem type "same" and no pre-activation: 7×7 stride-2 weight-standardised conv to 64,
/// GroupNorm(32) + ReLU, 3×3 stride-2 max-pool with TF "SAME" padding (padded with −∞). Output at 1/4 of the input.
/// </summary>
public sealed class ResNetV2Stem : nn.Module<Tensor, Tensor>
{
    public const long Channels = 64;

    private readonly StdConv2dSame conv;
    private readonly GroupNorm norm;

    public ResNetV2Stem(long inChannels = 3) : base(nameof(ResNetV2Stem))
    {
        conv = new StdConv2dSame(inChannels, Channels, 7, stride: 2);
        norm = ResNetV2Backbone.Norm(Channels);
        RegisterComponents();
    }

    /// <param name="x">[B, 3, H, W]</param>
    /// <returns>[B, 64, H/4, W/4]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.relu(norm.call(conv.call(x)));                               // [B, 64, H/2, W/2]
        h = StdConv2dSame.PadSame(h, 3, 2, double.NegativeInfinity);                      // MaxPool2dSame pads with −∞
        return nn.functional.max_pool2d(h, 3, 2).MoveToOuterDisposeScope();                // [B, 64, H/4, W/4]
    }
}
