using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// DPT's decoder, MiDaS's <c>scratch</c>: <c>layer{1..4}_rn</c> (3×3, no bias) bring the four features to 256 channels,
/// <c>refinenet4 … refinenet1</c> fuse them from 1/32 up to 1/2, and the depth head <c>output_conv</c> (dpt_depth.py
/// <c>DPTDepthModel</c>, an nn.Sequential with weights at 0, 2, 4): 3×3 to 128, ×2 bilinear (corner-aligned), 3×3 to 32, ReLU,
/// 1×1 to 1, ReLU (non_negative=True).
/// </summary>
public sealed class DptScratch : nn.Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    public const long Features = 256;
    /// <summary>Channels of the four reassembled features of the hybrid (ResNet stages 1–2, ViT blocks 8 and 11).</summary>
    public static readonly long[] InputChannels = [256, 512, 768, 768];

    private readonly Conv2d layer1_rn;
    private readonly Conv2d layer2_rn;
    private readonly Conv2d layer3_rn;
    private readonly Conv2d layer4_rn;
    private readonly DptFeatureFusionBlock refinenet1;
    private readonly DptFeatureFusionBlock refinenet2;
    private readonly DptFeatureFusionBlock refinenet3;
    private readonly DptFeatureFusionBlock refinenet4;
    private readonly Sequential output_conv;

    public DptScratch() : base(nameof(DptScratch))
    {
        Conv2d Reduce(long cin) => nn.Conv2d(cin, Features, 3, padding: 1, bias: false);
        layer1_rn = Reduce(InputChannels[0]);
        layer2_rn = Reduce(InputChannels[1]);
        layer3_rn = Reduce(InputChannels[2]);
        layer4_rn = Reduce(InputChannels[3]);
        refinenet1 = new DptFeatureFusionBlock(Features);
        refinenet2 = new DptFeatureFusionBlock(Features);
        refinenet3 = new DptFeatureFusionBlock(Features);
        refinenet4 = new DptFeatureFusionBlock(Features);
        output_conv = nn.Sequential(
            nn.Conv2d(Features, Features / 2, 3, padding: 1),
            nn.Upsample(scale_factor: [2, 2], mode: UpsampleMode.Bilinear, align_corners: true),
            nn.Conv2d(Features / 2, 32, 3, padding: 1),
            nn.ReLU(),
            nn.Conv2d(32, 1, 1),
            nn.ReLU(),
            nn.Identity());
        RegisterComponents();
    }

    /// <param name="layer1">[B, 256, H/4, W/4]</param>
    /// <param name="layer2">[B, 512, H/8, W/8]</param>
    /// <param name="layer3">[B, 768, H/16, W/16]</param>
    /// <param name="layer4">[B, 768, H/32, W/32]</param>
    /// <returns>relative inverse depth [B, 1, H, W], ≥ 0</returns>
    public override Tensor forward(Tensor layer1, Tensor layer2, Tensor layer3, Tensor layer4)
    {
        using var scope = NewDisposeScope();
        var path4 = refinenet4.call(layer4_rn.call(layer4), null);               // [B, 256, H/16, W/16]
        var path3 = refinenet3.call(path4, layer3_rn.call(layer3));              // [B, 256, H/8, W/8]
        var path2 = refinenet2.call(path3, layer2_rn.call(layer2));              // [B, 256, H/4, W/4]
        var path1 = refinenet1.call(path2, layer1_rn.call(layer1));              // [B, 256, H/2, W/2]
        return output_conv.call(path1).MoveToOuterDisposeScope();                // [B, 1, H, W]
    }
}
