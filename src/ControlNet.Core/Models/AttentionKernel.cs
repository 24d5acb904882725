namespace ControlNet.Models;

/// <summary>How <see cref="CrossAttention"/> computes softmax(q·kᵀ·d^-0.5)·v; both give the same result within float rounding.</summary>
public enum AttentionKernel
{
    /// <summary><c>scaled_dot_product_attention</c> (libtorch picks a fused/flash CPU kernel; no [N, M] score matrix kept).</summary>
    Sdpa,

    /// <summary>The explicit LDM form: matmul, softmax, matmul. Materialises the [B, h, N, M] scores; kept as the plain-port baseline.</summary>
    Explicit,
}
