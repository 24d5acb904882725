using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Text;

/// <summary>Pre-LayerNorm transformer block: h += attn(LN1(h)); h += mlp(LN2(h)) (HF <c>CLIPEncoderLayer</c>).</summary>
public sealed class ClipEncoderLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ClipAttention self_attn;
    private readonly LayerNorm layer_norm1;
    private readonly ClipMlp mlp;
    private readonly LayerNorm layer_norm2;

    public ClipEncoderLayer(ClipTextConfig config) : base(nameof(ClipEncoderLayer))
    {
        self_attn = new ClipAttention(config);
        layer_norm1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        mlp = new ClipMlp(config);
        layer_norm2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    /// <param name="h">[B, L, D]</param><param name="mask">[L, L] additive causal mask.</param>
    public override Tensor forward(Tensor h, Tensor mask)
    {
        h = h + self_attn.call(layer_norm1.call(h), mask);
        return h + mlp.call(layer_norm2.call(h));
    }
}
