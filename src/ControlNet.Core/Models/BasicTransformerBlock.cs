using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>LDM <c>BasicTransformerBlock</c>: pre-LayerNorm self-attention, cross-attention on the text context, GEGLU feed-forward.</summary>
public sealed class BasicTransformerBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly CrossAttention attn1;
    private readonly FeedForward ff;
    private readonly CrossAttention attn2;
    private readonly LayerNorm norm1;
    private readonly LayerNorm norm2;
    private readonly LayerNorm norm3;

    public BasicTransformerBlock(long dim, long heads, long dimHead, long contextDim, Device? device = null, ScalarType? dtype = null) : base(nameof(BasicTransformerBlock))
    {
        attn1 = new CrossAttention(dim, dim, heads, dimHead, device, dtype);
        ff = new FeedForward(dim, device, dtype);
        attn2 = new CrossAttention(dim, contextDim, heads, dimHead, device, dtype);
        norm1 = nn.LayerNorm(dim, 1e-5, device: device, dtype: dtype);
        norm2 = nn.LayerNorm(dim, 1e-5, device: device, dtype: dtype);
        norm3 = nn.LayerNorm(dim, 1e-5, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, N, C]</param>
    /// <param name="context">[B, M, ctx]</param>
    public override Tensor forward(Tensor x, Tensor context)
    {
        using var scope = NewDisposeScope();
        x = attn1.call(norm1.call(x), null) + x;
        x = attn2.call(norm2.call(x), context) + x;
        x = ff.call(norm3.call(x)) + x;
        return x.MoveToOuterDisposeScope();
    }
}
