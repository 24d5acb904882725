using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// MiDaS blocks.py <c>FeatureFusionBlock_custom</c> as DPT builds it (no batch norm, no expand, align_corners=True): the deeper
/// path plus <c>resConfUnit1</c>(skip), then <c>resConfUnit2</c>, a ×2 bilinear upsample (corner-aligned) and the 1×1 <c>out_conv</c>.
/// </summary>
public sealed class DptFeatureFusionBlock : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Conv2d out_conv;
    private readonly DptResidualConvUnit resConfUnit1;
    private readonly DptResidualConvUnit resConfUnit2;

    public DptFeatureFusionBlock(long features) : base(nameof(DptFeatureFusionBlock))
    {
        out_conv = nn.Conv2d(features, features, 1);
        resConfUnit1 = new DptResidualConvUnit(features);
        resConfUnit2 = new DptResidualConvUnit(features);
        RegisterComponents();
    }

    /// <param name="path">[B, F, h, w], the deeper path</param>
    /// <param name="skip">[B, F, h, w], the reassembled feature of this level (null for the deepest block)</param>
    /// <returns>[B, F, 2h, 2w]</returns>
    public override Tensor forward(Tensor path, Tensor? skip)
    {
        using var scope = NewDisposeScope();
        var h = skip is null ? path : path + resConfUnit1.call(skip);
        h = resConfUnit2.call(h);
        h = nn.functional.interpolate(h, scale_factor: [2, 2], mode: InterpolationMode.Bilinear, align_corners: true); // [B, F, 2h, 2w]
        return out_conv.call(h).MoveToOuterDisposeScope();
    }
}
