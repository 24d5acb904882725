using static TorchSharp.torch;

namespace ControlNet.Conditions.Mlsd;

/// <summary>
/// <c>MobileV2_MLSD_Large</c> (CN annotator/mlsd, REFERENCE §9): the state-dict keys of <c>mlsd_large_512_fp32.pth</c>
/// (<c>backbone.features.*</c>, <c>block15</c> … <c>block23</c>). A U-shaped decoder over the MobileNetV2 features ends at
/// half the input size with 16 maps, of which the detector uses the last 9: the line-centre logits, then the start and end
/// displacements (x₁, y₁, x₂, y₂).
/// </summary>
public sealed class MobileV2MlsdLarge : nn.Module<Tensor, Tensor>
{
    private readonly MlsdBackbone backbone;
    private readonly MlsdBlockA block15;
    private readonly MlsdBlockB block16;
    private readonly MlsdBlockA block17;
    private readonly MlsdBlockB block18;
    private readonly MlsdBlockA block19;
    private readonly MlsdBlockB block20;
    private readonly MlsdBlockA block21;
    private readonly MlsdBlockB block22;
    private readonly MlsdBlockC block23;

    public MobileV2MlsdLarge() : base(nameof(MobileV2MlsdLarge))
    {
        backbone = new MlsdBackbone();
        block15 = new MlsdBlockA(64, 96, 64, 64, upscale: false);
        block16 = new MlsdBlockB(128, 64);
        block17 = new MlsdBlockA(32, 64, 64, 64);
        block18 = new MlsdBlockB(128, 64);
        block19 = new MlsdBlockA(24, 64, 64, 64);
        block20 = new MlsdBlockB(128, 64);
        block21 = new MlsdBlockA(16, 64, 64, 64);
        block22 = new MlsdBlockB(128, 64);
        block23 = new MlsdBlockC(64, 16);
        RegisterComponents();
    }

    /// <param name="x">[B, 4, H, W]: RGB and a plane of ones, all as v/127.5 − 1</param>
    /// <returns>[B, 9, H/2, W/2]: centre logits, then displacements (x₁, y₁, x₂, y₂) in half-resolution pixels</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var c = backbone.call(x);               // 16@H/2, 24@H/4, 32@H/8, 64@H/16, 96@H/16
        var h = block16.call(block15.call(c[3], c[4]));   // [B, 64, H/16, W/16]
        h = block18.call(block17.call(c[2], h));          // [B, 64, H/8, W/8]
        h = block20.call(block19.call(c[1], h));          // [B, 64, H/4, W/4]
        h = block22.call(block21.call(c[0], h));          // [B, 64, H/2, W/2]
        h = block23.call(h);                              // [B, 16, H/2, W/2]
        return h.narrow(1, 7, 9).MoveToOuterDisposeScope(); // [B, 9, H/2, W/2]
    }
}
