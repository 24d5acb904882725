using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models.Adapters;

/// <summary>
/// The T2I style adapter's network (TencentARC <c>StyleAdapter</c>, ldm/modules/encoders/adapter.py): K learned tokens are
/// appended to the CLIP image's hidden states, the sequence runs through <c>ln_pre</c> and a few pre-LN attention blocks,
/// and the last K positions, after <c>ln_post</c> and <c>proj</c>, are K tokens of the text context's width. Parameter
/// names are TencentARC's (<c>style_embedding</c>, <c>ln_pre</c>, <c>transformer_layes.N</c>, <c>ln_post</c>, <c>proj</c>).
/// </summary>
public sealed class StyleAdapter : nn.Module<Tensor, Tensor>
{
    private readonly Parameter style_embedding;
    private readonly LayerNorm ln_pre;
    private readonly ModuleList<StyleAdapterBlock> transformer_layes;
    private readonly LayerNorm ln_post;
    private readonly Parameter proj;

    public StyleAdapter(StyleAdapterConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(StyleAdapter))
    {
        Config = config;
        double scale = 1.0 / Math.Sqrt(config.Width);                                    // TencentARC: randn · width^−0.5
        style_embedding = new Parameter(torch.randn(new long[] { 1, config.NumTokens, config.Width }, dtype: dtype, device: device) * scale);
        ln_pre = nn.LayerNorm(config.Width, device: device, dtype: dtype);
        transformer_layes = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new StyleAdapterBlock(config.Width, config.NumHeads, device, dtype)).ToArray());
        ln_post = nn.LayerNorm(config.Width, device: device, dtype: dtype);
        proj = new Parameter(torch.randn(new long[] { config.Width, config.ContextDim }, dtype: dtype, device: device) * scale);
        RegisterComponents();
    }

    public StyleAdapterConfig Config { get; }

    /// <param name="image">CLIP vision last hidden state [N, L, Width] (ViT-L/14: [N, 257, 1024])</param>
    /// <returns>style tokens [N, K, ContextDim]</returns>
    public override Tensor forward(Tensor image)
    {
        if (image.dim() != 3 || image.shape[2] != Config.Width)
            throw new ArgumentException($"The style adapter reads CLIP vision hidden states [N, L, {Config.Width}]; got [{string.Join(", ", image.shape)}]. Use a CLIP vision encoder {Config.Width} wide (ViT-L/14: 1024).");
        using var scope = NewDisposeScope();
        int k = Config.NumTokens;
        var tokens = style_embedding.expand(image.shape[0], -1, -1);                        // [N, K, W]
        var x = ln_pre.call(torch.cat([image, tokens], 1));                                  // [N, L + K, W]
        foreach (var block in transformer_layes) x = block.call(x);                         // [N, L + K, W]
        x = ln_post.call(x[.., ^k..]);                                                       // [N, K, W]
        return torch.matmul(x, proj).MoveToOuterDisposeScope();                             // [N, K, ContextDim]
    }
}
