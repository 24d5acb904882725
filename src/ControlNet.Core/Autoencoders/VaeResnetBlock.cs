using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>LDM <c>ResnetBlock</c> without time embedding: norm1→SiLU→conv1→norm2→SiLU→conv2, 1×1 <c>nin_shortcut</c> when channels change.</summary>
public sealed class VaeResnetBlock : nn.Module<Tensor, Tensor>
{
    private readonly VaeGroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly VaeGroupNorm norm2;
    private readonly Conv2d conv2;
    private readonly Conv2d? nin_shortcut;

    public VaeResnetBlock(int inChannels, int outChannels, int groups) : base(nameof(VaeResnetBlock))
    {
        norm1 = new VaeGroupNorm(groups, inChannels);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1);
        norm2 = new VaeGroupNorm(groups, outChannels);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1);
        if (inChannels != outChannels)
            nin_shortcut = nn.Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // Own scope: the norms' and SiLUs' full-resolution intermediates are freed here, not when the whole decode ends.
        using var scope = NewDisposeScope();
        var h = conv1.call(nn.functional.silu(norm1.call(x)));        // [B, out, H, W]
        h = conv2.call(nn.functional.silu(norm2.call(h)));            // dropout 0 at inference
        var shortcut = nin_shortcut is null ? x : nin_shortcut.call(x);
        return (shortcut + h).MoveToOuterDisposeScope();
    }
}
