using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// LDM <c>attention.py SpatialTransformer</c>: GroupNorm (eps 1e-6), projection in (1×1 conv, or Linear for SD 2.x),
/// <c>depth</c> transformer blocks over the H·W tokens, zero-initialised projection out, residual to the input.
/// </summary>
public sealed class SpatialTransformer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GroupNorm32 norm;
    private readonly nn.Module<Tensor, Tensor> proj_in;
    private readonly ModuleList<BasicTransformerBlock> transformer_blocks;
    private readonly nn.Module<Tensor, Tensor> proj_out;
    private readonly bool _useLinear;

    public SpatialTransformer(long channels, long heads, long dimHead, long depth, long contextDim, bool useLinearProjection,
        Device? device = null, ScalarType? dtype = null) : base(nameof(SpatialTransformer))
    {
        var inner = heads * dimHead;
        _useLinear = useLinearProjection;
        norm = new GroupNorm32(channels, 1e-6, device, dtype);
        proj_in = useLinearProjection
            ? nn.Linear(channels, inner, device: device, dtype: dtype)
            : new AdaptiveConv2d(channels, inner, 1, device: device, dtype: dtype);
        transformer_blocks = new ModuleList<BasicTransformerBlock>();
        for (var i = 0; i < depth; i++)
            transformer_blocks.Add(new BasicTransformerBlock(inner, heads, dimHead, contextDim, device, dtype));
        proj_out = ZeroModule.Zeroed<nn.Module<Tensor, Tensor>>(useLinearProjection
            ? nn.Linear(inner, channels, device: device, dtype: dtype)
            : new AdaptiveConv2d(inner, channels, 1, device: device, dtype: dtype));
        RegisterComponents();
    }

    /// <param name="x">[B, C, H, W]</param>
    /// <param name="context">[B, M, ctx]</param>
    public override Tensor forward(Tensor x, Tensor context)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], hgt = x.shape[2], wid = x.shape[3];
        var h = norm.call(x);
        if (!_useLinear) h = proj_in.call(h);                          // [B, inner, H, W]
        h = h.permute(0, 2, 3, 1).reshape(b, hgt * wid, -1);          // [B, H·W, inner]
        if (_useLinear) h = proj_in.call(h);
        foreach (var block in transformer_blocks)
            h = block.call(h, context);                                // [B, H·W, inner]
        if (_useLinear) h = proj_out.call(h);                          // [B, H·W, C]
        h = h.reshape(b, hgt, wid, -1).permute(0, 3, 1, 2);            // [B, C|inner, H, W]
        if (!_useLinear) h = proj_out.call(h.contiguous());           // [B, C, H, W]
        return (h + x).MoveToOuterDisposeScope();
    }
}
