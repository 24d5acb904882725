using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.SoftEdge;

/// <summary>
/// PiDiNet as ControlNet 1.1 builds it (CN11 annotator/pidinet/model.py <c>pidinet()</c>: config "carv4", 60 channels,
/// dilation 24, spatial attention) with the state-dict keys of <c>table5_pidinet.pth</c> after its <c>module.</c> prefix:
/// <c>init_block</c>, <c>block{1..4}_{1..4}</c>, <c>dilations.{0..3}</c>, <c>attentions.{0..3}</c>, <c>conv_reduces.{0..3}</c>,
/// <c>classifier</c>. Four stages (60, 120, 240, 240 channels at 1, 1/2, 1/4, 1/8) each give a side edge map; the
/// classifier fuses the four, and every map goes through a sigmoid.
/// </summary>
public sealed class PidiNet : nn.Module<Tensor, Tensor[]>
{
    public const long Width = 60;
    public const long FuseWidth = 24;

    private readonly PixelDifferenceConv init_block;
    private readonly PidiBlock block1_1, block1_2, block1_3;
    private readonly PidiBlock block2_1, block2_2, block2_3, block2_4;
    private readonly PidiBlock block3_1, block3_2, block3_3, block3_4;
    private readonly PidiBlock block4_1, block4_2, block4_3, block4_4;
    private readonly ModuleList<PidiDilation> dilations;
    private readonly ModuleList<PidiAttention> attentions;
    private readonly ModuleList<PidiMapReduce> conv_reduces;
    private readonly Conv2d classifier;

    public PidiNet() : base(nameof(PidiNet))
    {
        // carv4: central, angular, radial, vanilla, repeated over the 16 convs (init_block first).
        static PixelDifference Kind(int layer) => (layer % 4) switch
        {
            0 => PixelDifference.Central,
            1 => PixelDifference.Angular,
            2 => PixelDifference.Radial,
            _ => PixelDifference.Vanilla,
        };
        const long c = Width;
        init_block = new PixelDifferenceConv(Kind(0), 3, c);
        block1_1 = new PidiBlock(Kind(1), c, c); block1_2 = new PidiBlock(Kind(2), c, c); block1_3 = new PidiBlock(Kind(3), c, c);
        block2_1 = new PidiBlock(Kind(4), c, 2 * c, downSample: true); block2_2 = new PidiBlock(Kind(5), 2 * c, 2 * c);
        block2_3 = new PidiBlock(Kind(6), 2 * c, 2 * c); block2_4 = new PidiBlock(Kind(7), 2 * c, 2 * c);
        block3_1 = new PidiBlock(Kind(8), 2 * c, 4 * c, downSample: true); block3_2 = new PidiBlock(Kind(9), 4 * c, 4 * c);
        block3_3 = new PidiBlock(Kind(10), 4 * c, 4 * c); block3_4 = new PidiBlock(Kind(11), 4 * c, 4 * c);
        block4_1 = new PidiBlock(Kind(12), 4 * c, 4 * c, downSample: true); block4_2 = new PidiBlock(Kind(13), 4 * c, 4 * c);
        block4_3 = new PidiBlock(Kind(14), 4 * c, 4 * c); block4_4 = new PidiBlock(Kind(15), 4 * c, 4 * c);
        long[] fuse = [c, 2 * c, 4 * c, 4 * c];
        dilations = new ModuleList<PidiDilation>(fuse.Select(f => new PidiDilation(f, FuseWidth)).ToArray());
        attentions = new ModuleList<PidiAttention>(fuse.Select(_ => new PidiAttention(FuseWidth)).ToArray());
        conv_reduces = new ModuleList<PidiMapReduce>(fuse.Select(_ => new PidiMapReduce(FuseWidth)).ToArray());
        classifier = nn.Conv2d(4, 1, 1);
        RegisterComponents();
    }

    /// <param name="x">[B, 3, H, W]: BGR / 255</param>
    /// <returns>five [B, 1, H, W] maps in (0, 1): the four side outputs, then the fused edge map (the one the detector uses)</returns>
    public override Tensor[] forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long h = x.shape[2], w = x.shape[3];
        var x0 = init_block.call(x);                                                     // [B, 60, H, W]
        var x1 = block1_3.call(block1_2.call(block1_1.call(x0)));                        // [B, 60, H, W]
        var x2 = block2_4.call(block2_3.call(block2_2.call(block2_1.call(x1))));         // [B, 120, H/2, W/2]
        var x3 = block3_4.call(block3_3.call(block3_2.call(block3_1.call(x2))));         // [B, 240, H/4, W/4]
        var x4 = block4_4.call(block4_3.call(block4_2.call(block4_1.call(x3))));         // [B, 240, H/8, W/8]
        var sides = new[] { x1, x2, x3, x4 }.Select((xi, i) =>
        {
            var e = conv_reduces[i].call(attentions[i].call(dilations[i].call(xi)));     // [B, 1, H/2^i, W/2^i]
            return nn.functional.interpolate(e, [h, w], mode: InterpolationMode.Bilinear, align_corners: false); // [B, 1, H, W]
        }).ToList();
        sides.Add(classifier.call(cat(sides.ToArray(), 1)));                            // [B, 1, H, W] from [B, 4, H, W]
        var outputs = sides.Select(s => sigmoid(s).MoveToOuterDisposeScope()).ToArray();
        return outputs;
    }
}
