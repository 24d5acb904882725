using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Text;

/// <summary>Embeddings → causal encoder → final LayerNorm (HF <c>CLIPTextTransformer</c>, without pooling).</summary>
public sealed class ClipTextTransformer : nn.Module<Tensor, Tensor>
{
    private readonly ClipTextEmbeddings embeddings;
    private readonly ClipEncoder encoder;
    private readonly LayerNorm final_layer_norm;

    public ClipTextTransformer(ClipTextConfig config) : base(nameof(ClipTextTransformer))
    {
        embeddings = new ClipTextEmbeddings(config);
        encoder = new ClipEncoder(config);
        final_layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids) => Forward(ids, clipSkip: 1);

    /// <summary>See <see cref="ClipTextEmbeddings.ExtraTokens"/>.</summary>
    public Tensor? ExtraTokens { get => embeddings.ExtraTokens; set => embeddings.ExtraTokens = value; }

    /// <summary>final_layer_norm(hidden_states[−clipSkip]): clipSkip 1 = last layer (SD 1.x), 2 = penultimate.</summary>
    public Tensor Forward(Tensor ids, int clipSkip)
    {
        long l = ids.shape[1];
        // Causal mask: position i attends to j ≤ i only (CLIP build_attention_mask).
        var mask = torch.full(l, l, float.NegativeInfinity, device: ids.device).triu(1);   // [L, L]
        var h = embeddings.call(ids);                                                     // [B, L, D]
        h = encoder.Run(h, mask.to_type(h.dtype), encoder.LayerCount - (clipSkip - 1));
        return final_layer_norm.call(h);                                                  // [B, L, D]
    }
}
