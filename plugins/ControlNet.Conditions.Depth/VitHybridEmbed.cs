using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// timm <c>HybridEmbed</c>: the ResNet <c>backbone</c> and a 1×1 <c>proj</c> conv from its 1024-channel 1/16 map to the token width;
/// each pixel of that map is one token (the hybrid's "patch" is 16 pixels of the input).
/// </summary>
public sealed class VitHybridEmbed : nn.Module<Tensor, (Tensor Tokens, Tensor Stage1, Tensor Stage2)>
{
    private readonly ResNetV2Backbone backbone;
    private readonly Conv2d proj;

    public VitHybridEmbed(long embedDim) : base(nameof(VitHybridEmbed))
    {
        backbone = new ResNetV2Backbone();
        proj = nn.Conv2d(ResNetV2Backbone.StageChannels[^1], embedDim, 1);
        RegisterComponents();
    }

    /// <param name="x">[B, 3, H, W]</param>
    /// <returns>tokens [B, H/16·W/16, C], and the first two ResNet stages [B, 256, H/4, W/4], [B, 512, H/8, W/8]</returns>
    public override (Tensor Tokens, Tensor Stage1, Tensor Stage2) forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (s1, s2, s3) = backbone.call(x);
        var tokens = proj.call(s3).flatten(2).transpose(1, 2);   // [B, C, H/16, W/16] → [B, H/16·W/16, C]
        return (tokens.MoveToOuterDisposeScope(), s1.MoveToOuterDisposeScope(), s2.MoveToOuterDisposeScope());
    }
}
