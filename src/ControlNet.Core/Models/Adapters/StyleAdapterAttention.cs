using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models.Adapters;

/// <summary>
/// Multi-head self-attention with torch's <c>nn.MultiheadAttention</c> parameters, as TencentARC's style adapter stores
/// them: packed <c>in_proj_weight</c> [3W, W] / <c>in_proj_bias</c> [3W] (q, k, v in that order) and <c>out_proj</c>.
/// </summary>
public sealed class StyleAdapterAttention : nn.Module<Tensor, Tensor>
{
    private readonly Parameter in_proj_weight;
    private readonly Parameter in_proj_bias;
    private readonly Linear out_proj;
    readonly int _heads;

    public StyleAdapterAttention(int width, int heads, Device? device = null, ScalarType? dtype = null) : base(nameof(StyleAdapterAttention))
    {
        _heads = heads;
        // torch's MultiheadAttention init: xavier-uniform packed projection, zero biases.
        in_proj_weight = new Parameter(nn.init.xavier_uniform_(torch.empty(3 * width, width, dtype: dtype, device: device)));
        in_proj_bias = new Parameter(torch.zeros(3 * width, dtype: dtype, device: device));
        out_proj = nn.Linear(width, width, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, L, W]</param>
    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], l = x.shape[1], w = x.shape[2];
        var qkv = nn.functional.linear(x, in_proj_weight, in_proj_bias).chunk(3, -1);      // 3 × [B, L, W]
        Tensor Heads(Tensor t) => t.view(b, l, _heads, w / _heads).transpose(1, 2);        // [B, H, L, W/H]
        var q = Heads(qkv[0] * (1.0 / Math.Sqrt(w / _heads)));
        var scores = torch.matmul(q, Heads(qkv[1]).transpose(-1, -2));                     // [B, H, L, L]
        var weights = scores.to_type(ScalarType.Float32).softmax(-1).to_type(x.dtype);
        var context = torch.matmul(weights, Heads(qkv[2])).transpose(1, 2).reshape(b, l, w);   // [B, L, W]
        return out_proj.call(context);
    }
}
