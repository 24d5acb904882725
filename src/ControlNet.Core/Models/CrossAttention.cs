using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// LDM <c>attention.py CrossAttention</c>: q/k/v without bias, output projection with bias (REFERENCE §1.2, §13.4).
/// Computed by <c>scaled_dot_product_attention</c>, which applies the same d^-0.5 softmax as the explicit form; a caller
/// can ask for the explicit form for its calls with <see cref="AttentionKernelScope"/>.
/// </summary>
public sealed class CrossAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Linear to_q;
    private readonly Linear to_k;
    private readonly Linear to_v;
    private readonly Sequential to_out;
    private readonly long _heads;
    private readonly long _dimHead;

    /// <param name="queryDim">channels of x</param>
    /// <param name="contextDim">channels of the context; equal to <paramref name="queryDim"/> for self-attention</param>
    public CrossAttention(long queryDim, long contextDim, long heads, long dimHead, Device? device = null, ScalarType? dtype = null) : base(nameof(CrossAttention))
    {
        var inner = heads * dimHead;
        _heads = heads;
        _dimHead = dimHead;
        to_q = nn.Linear(queryDim, inner, hasBias: false, device: device, dtype: dtype);
        to_k = nn.Linear(contextDim, inner, hasBias: false, device: device, dtype: dtype);
        to_v = nn.Linear(contextDim, inner, hasBias: false, device: device, dtype: dtype);
        to_out = nn.Sequential(nn.Linear(inner, queryDim, device: device, dtype: dtype), nn.Dropout(0.0));
        RegisterComponents();
    }

    /// <param name="x">[B, N, C]</param>
    /// <param name="context">[B, M, ctx], or null for self-attention</param>
    public override Tensor forward(Tensor x, Tensor? context)
    {
        using var scope = NewDisposeScope();
        var ctx = context ?? x;
        var b = x.shape[0];
        var q = to_q.call(x).view(b, -1, _heads, _dimHead).transpose(1, 2);    // [B, h, N, d]
        var k = to_k.call(ctx).view(b, -1, _heads, _dimHead).transpose(1, 2);  // [B, h, M, d]
        var v = to_v.call(ctx).view(b, -1, _heads, _dimHead).transpose(1, 2);  // [B, h, M, d]
        // The kernel is the caller's choice for this call (AttentionKernelScope), not state of the model.
        var o = AttentionKernelScope.Current == AttentionKernel.Sdpa
            ? nn.functional.scaled_dot_product_attention(q, k, v)              // [B, h, N, d]
            : matmul((matmul(q, k.transpose(-1, -2)) * Math.Pow(_dimHead, -0.5)).softmax(-1), v); // [B, h, N, M] scores → [B, h, N, d]
        o = o.transpose(1, 2).reshape(b, -1, _heads * _dimHead);              // [B, N, h·d]
        return to_out.call(o).MoveToOuterDisposeScope();
    }
}
