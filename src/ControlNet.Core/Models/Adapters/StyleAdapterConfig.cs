using ControlNet.Checkpoints;

namespace ControlNet.Models.Adapters;

/// <summary>
/// Hyper-parameters of the T2I style adapter (Mou et al. 2023; TencentARC <c>StyleAdapter</c> in
/// ldm/modules/encoders/adapter.py), immutable. <c>t2iadapter_style_sd14v1.pth</c>: width 1024 (CLIP ViT-L/14's vision
/// width), context 768 (SD 1.x cross-attention), 8 heads, 3 layers, 8 tokens.
/// </summary>
/// <param name="Width">transformer width: the CLIP vision hidden size it reads</param>
/// <param name="ContextDim">width of the tokens it makes: the U-Net's cross-attention width</param>
/// <param name="NumHeads">attention heads (TencentARC builds it with 8; the file does not record it)</param>
/// <param name="Layers">residual attention blocks (<c>transformer_layes.N</c>)</param>
/// <param name="NumTokens">tokens appended to the text context (<c>style_embedding</c> [1, K, Width])</param>
public sealed record StyleAdapterConfig(int Width, int ContextDim, int NumHeads, int Layers, int NumTokens)
{
    /// <summary>TencentARC's head count: StyleAdapter(width=1024, context_dim=768, num_head=8, n_layes=3, num_token=8).</summary>
    public const int TencentArcHeads = 8;

    /// <summary>The released SD 1.4 style adapter.</summary>
    public static StyleAdapterConfig Sd14 { get; } = new(1024, 768, TencentArcHeads, 3, 8);

    /// <summary>The config of style-adapter weights in TencentARC names, read from their shapes; a one-line error names what is missing.</summary>
    public static StyleAdapterConfig FromWeights(ComponentWeights weights)
    {
        var embedding = weights.Require("style_embedding", 3, "the style tokens");                      // [1, K, W]
        var proj = weights.Require("proj", 2, "the projection to the text context");                  // [W, D]
        int layers = weights.ByName.Keys.Where(k => k.StartsWith("transformer_layes.", StringComparison.Ordinal))
            .Select(k => int.TryParse(k.Split('.')[1], out var i) ? i + 1 : 0).DefaultIfEmpty(0).Max();
        if (layers == 0)
            throw new InvalidDataException($"'{weights.Source}': the T2I style adapter has no transformer_layes.* blocks; the file is not a complete style adapter.");
        if (proj.Shape[0] != embedding.Shape[2])
            throw new InvalidDataException($"'{weights.Source}': the style adapter's projection reads {proj.Shape[0]} channels but its tokens are {embedding.Shape[2]} wide; the file is corrupt.");
        var config = new StyleAdapterConfig((int)embedding.Shape[2], (int)proj.Shape[1], TencentArcHeads, layers, (int)embedding.Shape[1]);
        if (config.Width % config.NumHeads != 0)
            throw new InvalidDataException($"'{weights.Source}': the style adapter's width {config.Width} is not divisible by TencentARC's {config.NumHeads} heads; it is not a TencentARC style adapter.");
        return config;
    }

    /// <summary>Why this adapter cannot steer <paramref name="unet"/>, or null.</summary>
    public string? Mismatch(UNetArchitecture unet) => ContextDim != unet.ContextDim
        ? $"its tokens are {ContextDim} wide but the U-Net's cross-attention reads {unet.ContextDim}; use a style adapter for this base model"
        : null;
}
