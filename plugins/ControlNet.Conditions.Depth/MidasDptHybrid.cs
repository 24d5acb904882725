using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// MiDaS v3 DPT-Hybrid (<c>DPTDepthModel(backbone="vitb_rn50_384", non_negative=True)</c>, isl-org/MiDaS dpt_depth.py), whose
/// state-dict keys are those of <c>dpt_hybrid-midas-501f0c75.pt</c>: <c>pretrained.model.*</c> (timm ViT-B/16 + ResNet-50 hybrid),
/// <c>pretrained.act_postprocess{3,4}.*</c> and <c>scratch.*</c> (the DPT decoder and depth head). Input: RGB as x/127.5 − 1 with
/// sides multiples of 32; output: relative inverse depth (near = large), ≥ 0, at the input size.
/// </summary>
public sealed class MidasDptHybrid : nn.Module<Tensor, Tensor>
{
    /// <summary>Sides must be multiples of this (the deepest feature is at 1/32).</summary>
    public const int SizeMultiple = 32;

    private readonly DptHybridBackbone pretrained;
    private readonly DptScratch scratch;

    public MidasDptHybrid() : base(nameof(MidasDptHybrid))
    {
        pretrained = new DptHybridBackbone();
        scratch = new DptScratch();
        RegisterComponents();
    }

    /// <param name="x">[B, 3, H, W] RGB in [−1, 1], H and W multiples of 32</param>
    /// <returns>[B, H, W] relative inverse depth</returns>
    public override Tensor forward(Tensor x)
    {
        if (x.shape[2] % SizeMultiple != 0 || x.shape[3] % SizeMultiple != 0)
            throw new ArgumentException($"MiDaS needs sides that are multiples of {SizeMultiple}, got {x.shape[3]}×{x.shape[2]}.");
        using var scope = NewDisposeScope();
        var (l1, l2, l3, l4) = pretrained.call(x);
        return scratch.call(l1, l2, l3, l4).squeeze(1).MoveToOuterDisposeScope();   // [B, H, W]
    }
}
