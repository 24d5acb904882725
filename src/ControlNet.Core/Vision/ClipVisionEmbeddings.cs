using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Vision;

/// <summary>
/// Patch embedding (a P×P stride-P convolution without bias), a learned class token in front and learned absolute
/// position embeddings (transformers <c>CLIPVisionEmbeddings</c>).
/// </summary>
public sealed class ClipVisionEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Parameter class_embedding;
    private readonly Conv2d patch_embedding;
    private readonly Embedding position_embedding;

    public ClipVisionEmbeddings(ClipVisionConfig config) : base(nameof(ClipVisionEmbeddings))
    {
        class_embedding = new Parameter(torch.randn(config.HiddenSize));
        patch_embedding = nn.Conv2d(3, config.HiddenSize, config.PatchSize, stride: config.PatchSize, bias: false);
        position_embedding = nn.Embedding(config.TokenCount, config.HiddenSize);
        RegisterComponents();
    }

    /// <param name="pixels">[B, 3, S, S], CLIP-normalised</param>
    /// <returns>[B, 1 + (S/P)², D]</returns>
    public override Tensor forward(Tensor pixels)
    {
        long b = pixels.shape[0];
        var patches = patch_embedding.call(pixels).flatten(2).transpose(1, 2);              // [B, (S/P)², D]
        var cls = class_embedding.reshape(1, 1, -1).expand(b, 1, -1);                      // [B, 1, D]
        var h = torch.cat([cls, patches], 1);                                              // [B, 1 + (S/P)², D]
        var positions = torch.arange(h.shape[1], dtype: ScalarType.Int64, device: pixels.device);
        return h + position_embedding.call(positions).unsqueeze(0);                         // [B, L, D]
    }
}
