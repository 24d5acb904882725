using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Text;

/// <summary>Multi-head self-attention with biases on q, k, v and out (HF <c>CLIPAttention</c>); softmax in float32.</summary>
public sealed class ClipAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear out_proj;
    readonly int _heads;
    readonly double _scale;

    public ClipAttention(ClipTextConfig config) : base(nameof(ClipAttention))
    {
        int d = config.HiddenSize;
        _heads = config.NumAttentionHeads;
        _scale = 1.0 / Math.Sqrt(config.HeadDim);
        q_proj = nn.Linear(d, d);
        k_proj = nn.Linear(d, d);
        v_proj = nn.Linear(d, d);
        out_proj = nn.Linear(d, d);
        RegisterComponents();
    }

    /// <param name="x">[B, L, D]</param>
    /// <param name="mask">[L, L] additive mask (−inf above the diagonal for CLIP's causal attention).</param>
    public override Tensor forward(Tensor x, Tensor mask)
    {
        long b = x.shape[0], l = x.shape[1], d = x.shape[2];
        Tensor Heads(Tensor t) => t.view(b, l, _heads, d / _heads).transpose(1, 2);        // [B, H, L, Dh]
        var q = Heads(q_proj.call(x) * _scale);
        var k = Heads(k_proj.call(x));
        var v = Heads(v_proj.call(x));
        var scores = torch.matmul(q, k.transpose(-1, -2)) + mask;                        // [B, H, L, L]
        var weights = scores.to_type(ScalarType.Float32).softmax(-1).to_type(v.dtype);
        var context = torch.matmul(weights, v).transpose(1, 2).reshape(b, l, d);          // [B, L, D]
        return out_proj.call(context);
    }
}
