using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.SoftEdge;

/// <summary>
/// <c>ControlNetHED_Apache2</c> (CN annotator/hed, REFERENCE §9): an RGB-input HED whose state-dict keys are those of
/// <c>ControlNetHED.pth</c> (<c>norm</c>, <c>block{1..5}.convs.{i}.{weight,bias}</c>, <c>block{1..5}.projection.*</c>).
/// Five VGG stages (64, 128, 256, 512, 512 channels; 2, 2, 3, 3, 3 convs) each give a one-channel side output.
/// </summary>
public sealed class ControlNetHed : nn.Module<Tensor, Tensor[]>
{
    private readonly Parameter norm;
    private readonly HedBlock block1;
    private readonly HedBlock block2;
    private readonly HedBlock block3;
    private readonly HedBlock block4;
    private readonly HedBlock block5;

    public ControlNetHed() : base(nameof(ControlNetHed))
    {
        norm = new Parameter(zeros(1, 3, 1, 1)); // learned per-channel mean, subtracted from the 0–255 input
        block1 = new HedBlock(3, 64, 2, downSample: false);
        block2 = new HedBlock(64, 128, 2, downSample: true);
        block3 = new HedBlock(128, 256, 3, downSample: true);
        block4 = new HedBlock(256, 512, 3, downSample: true);
        block5 = new HedBlock(512, 512, 3, downSample: true);
        RegisterComponents();
    }

    /// <param name="rgb">[B, 3, H, W] RGB in 0–255 (not divided by 255)</param>
    /// <returns>the five side outputs (logits), [B, 1, H/2^k, W/2^k] for k = 0…4</returns>
    public override Tensor[] forward(Tensor rgb)
    {
        using var scope = NewDisposeScope();
        var h = rgb - norm;                           // [B, 3, H, W]
        var sides = new Tensor[5];
        var blocks = new[] { block1, block2, block3, block4, block5 };
        for (var i = 0; i < blocks.Length; i++)
            (h, sides[i]) = blocks[i].call(h);        // h: [B, C_i, H/2^i, W/2^i]
        foreach (var s in sides) s.MoveToOuterDisposeScope();
        return sides;
    }

    /// <summary>
    /// The detector's fusion (CN annotator/hed HEDdetector): every side output resized bilinearly (half-pixel centres, as
    /// cv2 INTER_LINEAR) to H×W, averaged, then a sigmoid (in float64, as the reference). Returns [H, W] float64 in (0, 1).
    /// </summary>
    public static Tensor Fuse(IReadOnlyList<Tensor> sides, long height, long width)
    {
        using var scope = NewDisposeScope();
        var resized = sides.Select(s => nn.functional.interpolate(s.to_type(ScalarType.Float32), [height, width],
            mode: InterpolationMode.Bilinear, align_corners: false)[0, 0]).ToArray();       // 5 × [H, W]
        var mean = stack(resized, 2).mean([2]);                                              // [H, W]
        return sigmoid(mean.to_type(ScalarType.Float64)).MoveToOuterDisposeScope();
    }
}
