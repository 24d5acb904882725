using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>LDM mid block at the lowest resolution: block_1 → attn_1 → block_2.</summary>
public sealed class VaeMidBlock : nn.Module<Tensor, Tensor>
{
    private readonly VaeResnetBlock block_1;
    private readonly VaeAttentionBlock attn_1;
    private readonly VaeResnetBlock block_2;

    public VaeMidBlock(int channels, int groups) : base(nameof(VaeMidBlock))
    {
        block_1 = new VaeResnetBlock(channels, channels, groups);
        attn_1 = new VaeAttentionBlock(channels, groups);
        block_2 = new VaeResnetBlock(channels, channels, groups);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => block_2.call(attn_1.call(block_1.call(x)));
}
