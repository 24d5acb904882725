using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models.Adapters;

/// <summary>
/// One pre-LN residual attention block of the style adapter (TencentARC <c>ResidualAttentionBlock</c>, OpenAI CLIP's):
/// x += attn(ln_1(x)); x += c_proj(quick_gelu(c_fc(ln_2(x)))). Keys <c>attn.*</c>, <c>ln_1</c>, <c>mlp.c_fc</c>, <c>mlp.c_proj</c>, <c>ln_2</c>.
/// </summary>
public sealed class StyleAdapterBlock : nn.Module<Tensor, Tensor>
{
    private readonly StyleAdapterAttention attn;
    private readonly LayerNorm ln_1;
    private readonly Mlp mlp;
    private readonly LayerNorm ln_2;

    public StyleAdapterBlock(int width, int heads, Device? device = null, ScalarType? dtype = null) : base(nameof(StyleAdapterBlock))
    {
        attn = new StyleAdapterAttention(width, heads, device, dtype);
        ln_1 = nn.LayerNorm(width, device: device, dtype: dtype);
        mlp = new Mlp(width, device, dtype);
        ln_2 = nn.LayerNorm(width, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, L, W]</param>
    public override Tensor forward(Tensor x)
    {
        x = x + attn.call(ln_1.call(x));                                                    // [B, L, W]
        return x + mlp.call(ln_2.call(x));                                                  // [B, L, W]
    }

    /// <summary>c_fc (W → 4W), quick_gelu, c_proj (4W → W): the keys of TencentARC's OrderedDict Sequential.</summary>
    sealed class Mlp : nn.Module<Tensor, Tensor>
    {
        private readonly Linear c_fc;
        private readonly Linear c_proj;

        public Mlp(int width, Device? device, ScalarType? dtype) : base(nameof(Mlp))
        {
            c_fc = nn.Linear(width, 4 * width, device: device, dtype: dtype);
            c_proj = nn.Linear(4 * width, width, device: device, dtype: dtype);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            var h = c_fc.call(x);                                                           // [B, L, 4W]
            return c_proj.call(h * torch.sigmoid(h * 1.702));                              // quick_gelu → [B, L, W]
        }
    }
}
