using ControlNet.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Vision;

/// <summary>
/// Embeddings → <c>pre_layrnorm</c> (transformers' spelling) → bidirectional pre-LN encoder (transformers
/// <c>CLIPVisionTransformer</c>). <c>post_layernorm</c> belongs to the pooled output (the class token) only; the
/// last hidden state is returned without it, as <c>CLIPVisionModel(...).last_hidden_state</c>.
/// </summary>
public sealed class ClipVisionTransformer : nn.Module<Tensor, Tensor>
{
    private readonly ClipVisionEmbeddings embeddings;
    private readonly LayerNorm pre_layrnorm;
    private readonly ClipEncoder encoder;
    private readonly LayerNorm post_layernorm;

    public ClipVisionTransformer(ClipVisionConfig config) : base(nameof(ClipVisionTransformer))
    {
        embeddings = new ClipVisionEmbeddings(config);
        pre_layrnorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        encoder = new ClipEncoder(config.EncoderConfig);
        post_layernorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>Last hidden state [B, L, D] of pixels [B, 3, S, S].</summary>
    public override Tensor forward(Tensor pixels)
    {
        var h = pre_layrnorm.call(embeddings.call(pixels));                                 // [B, L, D]
        var noMask = torch.zeros(h.shape[1], h.shape[1], dtype: h.dtype, device: h.device); // [L, L]: every patch sees every patch
        return encoder.call(h, noMask);                                                     // [B, L, D]
    }

    /// <summary>post_layernorm of the class token: transformers' pooler_output [B, D].</summary>
    public Tensor Pooled(Tensor lastHiddenState) => post_layernorm.call(lastHiddenState[.., 0]);
}
