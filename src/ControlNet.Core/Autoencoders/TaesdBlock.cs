using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// TAESD's residual block (madebyollin/taesd, taesd.py <c>Block</c>): ReLU(conv(ReLU(conv(ReLU(conv(x))))) + x), three 3×3
/// convolutions in a sequential named <c>conv</c> (keys <c>conv.0</c>, <c>conv.2</c>, <c>conv.4</c>; the odd indices are
/// the ReLUs). SD's TAESD keeps 64 channels everywhere, so the skip is the identity and has no weights.
/// </summary>
public sealed class TaesdBlock : nn.Module<Tensor, Tensor>
{
    private readonly Sequential conv;

    public TaesdBlock(int channels) : base(nameof(TaesdBlock))
    {
        conv = nn.Sequential(
            ("0", nn.Conv2d(channels, channels, 3, padding: 1)), ("1", nn.ReLU()),
            ("2", nn.Conv2d(channels, channels, 3, padding: 1)), ("3", nn.ReLU()),
            ("4", nn.Conv2d(channels, channels, 3, padding: 1)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.relu(conv.call(x) + x);   // [B, C, H, W]
}
