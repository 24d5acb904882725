using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>timm ViT <c>Attention</c>: one <c>qkv</c> projection (with bias), softmax(q·kᵀ/√d) per head, output <c>proj</c>.</summary>
public sealed class VitAttention : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly long _heads;

    public VitAttention(long dim, long heads) : base(nameof(VitAttention))
    {
        _heads = heads;
        qkv = nn.Linear(dim, dim * 3);
        proj = nn.Linear(dim, dim);
        RegisterComponents();
    }

    /// <param name="x">[B, N, C]</param>
    /// <returns>[B, N, C]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], c = x.shape[2];
        var parts = qkv.call(x).reshape(b, n, 3, _heads, c / _heads).permute(2, 0, 3, 1, 4); // [3, B, h, N, d]
        var attended = nn.functional.scaled_dot_product_attention(parts[0], parts[1], parts[2]); // [B, h, N, d]
        var merged = attended.transpose(1, 2).reshape(b, n, c);                              // [B, N, C]
        return proj.call(merged).MoveToOuterDisposeScope();
    }
}
