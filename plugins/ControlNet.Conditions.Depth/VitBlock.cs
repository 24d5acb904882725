using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>timm ViT <c>Block</c> (pre-norm): x + attn(norm1(x)), then x + mlp(norm2(x)); LayerNorm eps 1e-6, MLP ratio 4.</summary>
public sealed class VitBlock : nn.Module<Tensor, Tensor>
{
    public const double LayerNormEps = 1e-6;

    private readonly LayerNorm norm1;
    private readonly VitAttention attn;
    private readonly LayerNorm norm2;
    private readonly VitMlp mlp;

    public VitBlock(long dim, long heads) : base(nameof(VitBlock))
    {
        norm1 = nn.LayerNorm(dim, eps: LayerNormEps);
        attn = new VitAttention(dim, heads);
        norm2 = nn.LayerNorm(dim, eps: LayerNormEps);
        mlp = new VitMlp(dim, dim * 4);
        RegisterComponents();
    }

    /// <param name="x">[B, N, C]</param>
    /// <returns>[B, N, C]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x + attn.call(norm1.call(x));
        return (h + mlp.call(norm2.call(h))).MoveToOuterDisposeScope();
    }
}
