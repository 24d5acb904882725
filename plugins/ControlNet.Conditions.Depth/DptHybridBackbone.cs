using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// MiDaS's <c>pretrained</c> for vitb_rn50_384 (vit.py <c>_make_vit_b_rn50_backbone</c>, use_vit_only=False, readout "project"):
/// the hybrid ViT as <c>model</c>; the two ResNet features pass unchanged (<c>act_postprocess1</c>/<c>2</c> are identities, without
/// weights) and the ViT block 8 and 11 tokens are reassembled by <c>act_postprocess3</c> (1/16) and <c>act_postprocess4</c> (1/32).
/// </summary>
public sealed class DptHybridBackbone : nn.Module<Tensor, (Tensor L1, Tensor L2, Tensor L3, Tensor L4)>
{
    private readonly VitHybrid model;
    private readonly DptReassemble act_postprocess3;
    private readonly DptReassemble act_postprocess4;

    public DptHybridBackbone() : base(nameof(DptHybridBackbone))
    {
        model = new VitHybrid();
        act_postprocess3 = new DptReassemble(VitHybrid.EmbedDim, DptScratch.InputChannels[2], downsample: false);
        act_postprocess4 = new DptReassemble(VitHybrid.EmbedDim, DptScratch.InputChannels[3], downsample: true);
        RegisterComponents();
    }

    /// <param name="x">[B, 3, H, W], H and W multiples of 32</param>
    /// <returns>[B, 256, H/4, W/4], [B, 512, H/8, W/8], [B, 768, H/16, W/16], [B, 768, H/32, W/32]</returns>
    public override (Tensor L1, Tensor L2, Tensor L3, Tensor L4) forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        using var f = model.call(x);
        var l3 = act_postprocess3.call(f.Block8, f.GridHeight, f.GridWidth);
        var l4 = act_postprocess4.call(f.Block11, f.GridHeight, f.GridWidth);
        return (f.Stage1.alias().MoveToOuterDisposeScope(), f.Stage2.alias().MoveToOuterDisposeScope(),
            l3.MoveToOuterDisposeScope(), l4.MoveToOuterDisposeScope());
    }
}
