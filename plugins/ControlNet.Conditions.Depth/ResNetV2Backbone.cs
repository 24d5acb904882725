using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// The ResNet-50 front of timm's <c>vit_base_r50_s16_384</c> (alias <c>vit_base_resnet50_384</c>): <c>ResNetV2(layers=(3, 4, 9),
/// preact=False, stem_type='same', conv_layer=StdConv2dSame(eps=1e-8))</c>, i.e. the stem and three stages of 256, 512 and 1024
/// channels (strides 1, 2, 2), GroupNorm(32) throughout and no final norm or head weights.
/// </summary>
public sealed class ResNetV2Backbone : nn.Module<Tensor, (Tensor Stage1, Tensor Stage2, Tensor Stage3)>
{
    public const int Groups = 32;
    public const double GroupNormEps = 1e-5;
    public static readonly long[] StageChannels = [256, 512, 1024];
    public static readonly int[] StageDepths = [3, 4, 9];

    /// <summary>
    /// timm <c>GroupNormAct</c>'s norm: GroupNorm(32, eps 1e-5) with weight 1 and bias 0 (TorchSharp 0.107's nn.GroupNorm leaves
    /// its affine parameters uninitialised, sometimes NaN; the loaded file overwrites them, but a fresh module must be sane).
    /// </summary>
    public static GroupNorm Norm(long channels)
    {
        var norm = nn.GroupNorm(Groups, channels, eps: GroupNormEps);
        using (no_grad())
        {
            nn.init.ones_(norm.weight!);
            nn.init.zeros_(norm.bias!);
        }
        return norm;
    }

    private readonly ResNetV2Stem stem;
    private readonly ModuleList<ResNetV2Stage> stages = new();

    public ResNetV2Backbone() : base(nameof(ResNetV2Backbone))
    {
        stem = new ResNetV2Stem();
        long previous = ResNetV2Stem.Channels;
        for (int s = 0; s < StageChannels.Length; s++)
        {
            stages.Add(new ResNetV2Stage(previous, StageChannels[s], s == 0 ? 1 : 2, StageDepths[s]));
            previous = StageChannels[s];
        }
        RegisterComponents();
    }

    /// <param name="x">[B, 3, H, W]</param>
    /// <returns>the three stage outputs: [B, 256, H/4, W/4], [B, 512, H/8, W/8], [B, 1024, H/16, W/16]</returns>
    public override (Tensor Stage1, Tensor Stage2, Tensor Stage3) forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var s1 = stages[0].call(stem.call(x));   // [B, 256, H/4, W/4]
        var s2 = stages[1].call(s1);             // [B, 512, H/8, W/8]
        var s3 = stages[2].call(s2);             // [B, 1024, H/16, W/16]
        return (s1.MoveToOuterDisposeScope(), s2.MoveToOuterDisposeScope(), s3.MoveToOuterDisposeScope());
    }
}
