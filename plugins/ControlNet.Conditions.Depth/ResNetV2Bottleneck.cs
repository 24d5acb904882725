using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// timm resnetv2 <c>Bottleneck</c> (the non-pre-activation block used for ViT hybrids): 1×1 → GN+ReLU → 3×3 (stride) → GN+ReLU →
/// 1×1 → GN, added to the shortcut (<see cref="ResNetV2Downsample"/> on a stage's first block), then ReLU. Width out/4 inside.
/// </summary>
public sealed class ResNetV2Bottleneck : nn.Module<Tensor, Tensor>
{
    private readonly ResNetV2Downsample? downsample;
    private readonly StdConv2dSame conv1;
    private readonly GroupNorm norm1;
    private readonly StdConv2dSame conv2;
    private readonly GroupNorm norm2;
    private readonly StdConv2dSame conv3;
    private readonly GroupNorm norm3;

    public ResNetV2Bottleneck(long inChannels, long outChannels, int stride, bool project) : base(nameof(ResNetV2Bottleneck))
    {
        long mid = outChannels / 4;
        downsample = project ? new ResNetV2Downsample(inChannels, outChannels, stride) : null;
        conv1 = new StdConv2dSame(inChannels, mid, 1);
        norm1 = ResNetV2Backbone.Norm(mid);
        conv2 = new StdConv2dSame(mid, mid, 3, stride);
        norm2 = ResNetV2Backbone.Norm(mid);
        conv3 = new StdConv2dSame(mid, outChannels, 1);
        norm3 = ResNetV2Backbone.Norm(outChannels);
        RegisterComponents();
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <returns>[B, Cout, H/stride, W/stride]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var shortcut = downsample is null ? x : downsample.call(x);      // [B, Cout, H/s, W/s]
        var h = nn.functional.relu(norm1.call(conv1.call(x)));           // [B, Cout/4, H, W]
        h = nn.functional.relu(norm2.call(conv2.call(h)));               // [B, Cout/4, H/s, W/s]
        h = norm3.call(conv3.call(h));                                   // [B, Cout, H/s, W/s]
        return nn.functional.relu(h + shortcut).MoveToOuterDisposeScope();
    }
}
