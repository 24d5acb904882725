using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Text;

/// <summary>Token embedding + learned absolute position embedding (HF <c>CLIPTextEmbeddings</c>).</summary>
public sealed class ClipTextEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Embedding token_embedding;
    private readonly Embedding position_embedding;

    public ClipTextEmbeddings(ClipTextConfig config) : base(nameof(ClipTextEmbeddings))
    {
        token_embedding = nn.Embedding(config.VocabSize, config.HiddenSize);
        position_embedding = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>
    /// Extra token vectors [N, D] (textual-inversion embeddings) that ids vocab_size … vocab_size+N−1 look up; null (the
    /// default) leaves the lookup exactly the plain embedding.
    /// </summary>
    public Tensor? ExtraTokens { get; set; }

    /// <param name="ids">[B, L] int64 token ids, L ≤ max positions.</param>
    public override Tensor forward(Tensor ids)
    {
        var positions = torch.arange(ids.shape[1], dtype: ScalarType.Int64, device: ids.device);   // [L]
        var tokens = ExtraTokens is null
            ? token_embedding.call(ids)                                                            // [B, L, D]
            : cat([token_embedding.weight!, ExtraTokens.to(token_embedding.weight!.dtype, token_embedding.weight!.device)], 0)
                .index_select(0, ids.flatten()).reshape(ids.shape[0], ids.shape[1], -1);            // [B, L, D]
        return tokens + position_embedding.call(positions).unsqueeze(0);                           // [B, L, D]
    }
}
