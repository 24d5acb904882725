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

    /// <param name="ids">[B, L] int64 token ids, L ≤ max positions.</param>
    public override Tensor forward(Tensor ids)
    {
        var positions = torch.arange(ids.shape[1], dtype: ScalarType.Int64, device: ids.device);   // [L]
        return token_embedding.call(ids) + position_embedding.call(positions).unsqueeze(0);       // [B, L, D]
    }
}
