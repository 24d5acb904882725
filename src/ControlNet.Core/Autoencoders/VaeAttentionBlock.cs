using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>LDM <c>AttnBlock</c>: single-head spatial self-attention with 1×1-conv q, k, v, proj_out; softmax(q·kᵀ/√C) over keys.</summary>
public sealed class VaeAttentionBlock : nn.Module<Tensor, Tensor>
{
    private readonly VaeGroupNorm norm;
    private readonly Conv2d q;
    private readonly Conv2d k;
    private readonly Conv2d v;
    private readonly Conv2d proj_out;

    public VaeAttentionBlock(int channels, int groups) : base(nameof(VaeAttentionBlock))
    {
        norm = new VaeGroupNorm(groups, channels);
        q = nn.Conv2d(channels, channels, 1);
        k = nn.Conv2d(channels, channels, 1);
        v = nn.Conv2d(channels, channels, 1);
        proj_out = nn.Conv2d(channels, channels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        using var scope = NewDisposeScope();                                  // frees the [B, N, N] weights on return
        var n = norm.call(x);
        var query = q.call(n).reshape(b, c, h * w).permute(0, 2, 1);          // [B, N, C]
        var key = k.call(n).reshape(b, c, h * w);                             // [B, C, N]
        var value = v.call(n).reshape(b, c, h * w);                           // [B, C, N]
        var weights = (torch.bmm(query, key) * Math.Pow(c, -0.5)).softmax(2); // [B, N(query), N(key)]
        var attended = torch.bmm(value, weights.permute(0, 2, 1));            // [B, C, N(query)]
        return (x + proj_out.call(attended.reshape(b, c, h, w))).MoveToOuterDisposeScope();
    }
}
