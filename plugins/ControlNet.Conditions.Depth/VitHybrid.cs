using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// timm's <c>vit_base_resnet50_384</c> (R50 + ViT-B/16 at 384, MiDaS's <c>pretrained.model</c>): <c>cls_token</c>, <c>pos_embed</c>
/// for 1 + 24·24 tokens, the hybrid <c>patch_embed</c>, 12 pre-norm <c>blocks</c> of width 768 with 12 heads, and the classifier's
/// <c>norm</c> and <c>head</c>, which the file holds but depth estimation does not use. MiDaS runs it through its own
/// <c>forward_flex</c> (vit.py): the position grid is resized bilinearly to the input's token grid, so any multiple of 16 works.
/// </summary>
public sealed class VitHybrid : nn.Module<Tensor, VitHybridFeatures>
{
    public const long EmbedDim = 768;
    public const int Depth = 12;
    public const long Heads = 12;
    public const int PatchSize = 16;
    public const int TrainedGrid = 384 / PatchSize;   // pos_embed holds a 24×24 grid
    public const long Classes = 1000;
    /// <summary>MiDaS's hooks for vitb_rn50_384: the outputs of blocks 8 and 11 become the two deepest DPT features.</summary>
    public static readonly int[] FeatureBlocks = [8, 11];

    private readonly Parameter cls_token;
    private readonly Parameter pos_embed;
    private readonly VitHybridEmbed patch_embed;
    private readonly ModuleList<VitBlock> blocks = new();
    private readonly LayerNorm norm;
    private readonly Linear head;

    public VitHybrid() : base(nameof(VitHybrid))
    {
        cls_token = new Parameter(zeros(1, 1, EmbedDim));
        pos_embed = new Parameter(randn(1, 1 + TrainedGrid * TrainedGrid, EmbedDim) * 0.02);
        patch_embed = new VitHybridEmbed(EmbedDim);
        for (int i = 0; i < Depth; i++) blocks.Add(new VitBlock(EmbedDim, Heads));
        norm = nn.LayerNorm(EmbedDim, eps: VitBlock.LayerNormEps);
        head = nn.Linear(EmbedDim, Classes);
        RegisterComponents();
    }

    /// <summary>MiDaS <c>_resize_pos_embed</c>: the class-token entry kept, the 24×24 grid resized bilinearly (half-pixel centres) to gh×gw.</summary>
    Tensor PositionEmbedding(long gh, long gw)
    {
        using var scope = NewDisposeScope();
        var token = pos_embed[.., ..1];                                                     // [1, 1, C]
        var grid = pos_embed[0, 1..].reshape(1, TrainedGrid, TrainedGrid, EmbedDim).permute(0, 3, 1, 2); // [1, C, 24, 24]
        grid = nn.functional.interpolate(grid, [gh, gw], mode: InterpolationMode.Bilinear, align_corners: false); // [1, C, gh, gw]
        grid = grid.permute(0, 2, 3, 1).reshape(1, gh * gw, EmbedDim);                     // [1, gh·gw, C]
        return cat([token, grid], 1).MoveToOuterDisposeScope();                            // [1, 1 + gh·gw, C]
    }

    /// <param name="x">[B, 3, H, W], H and W multiples of 16</param>
    public override VitHybridFeatures forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], gh = x.shape[2] / PatchSize, gw = x.shape[3] / PatchSize;
        var (tokens, stage1, stage2) = patch_embed.call(x);                                // [B, gh·gw, C]
        var h = cat([cls_token.expand(b, -1, -1), tokens], 1) + PositionEmbedding(gh, gw); // [B, 1 + gh·gw, C]
        Tensor? block8 = null;
        for (int i = 0; i <= FeatureBlocks[1]; i++)   // the blocks after the last hook (none here) and the final norm do not feed the depth
        {
            h = blocks[i].call(h);
            if (i == FeatureBlocks[0]) block8 = h;
        }
        return new VitHybridFeatures(stage1.MoveToOuterDisposeScope(), stage2.MoveToOuterDisposeScope(),
            block8!.MoveToOuterDisposeScope(), h.MoveToOuterDisposeScope(), gh, gw);
    }
}

/// <summary>The four activations DPT reads from the hybrid (MiDaS <c>pretrained.activations</c> "1"–"4").</summary>
/// <param name="Stage1">ResNet stage 1, [B, 256, H/4, W/4]</param>
/// <param name="Stage2">ResNet stage 2, [B, 512, H/8, W/8]</param>
/// <param name="Block8">ViT block 8 output, [B, 1 + gh·gw, 768] (class token first)</param>
/// <param name="Block11">ViT block 11 output (before the final norm), [B, 1 + gh·gw, 768]</param>
/// <param name="GridHeight">gh = H/16</param>
/// <param name="GridWidth">gw = W/16</param>
public sealed record VitHybridFeatures(Tensor Stage1, Tensor Stage2, Tensor Block8, Tensor Block11, long GridHeight, long GridWidth) : IDisposable
{
    public void Dispose()
    {
        Stage1.Dispose();
        Stage2.Dispose();
        Block8.Dispose();
        Block11.Dispose();
    }
}
