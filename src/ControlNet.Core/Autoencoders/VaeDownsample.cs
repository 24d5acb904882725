using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// LDM VAE <c>Downsample</c>: zero-pad right and bottom by one, then 3×3 conv, stride 2, padding 0 (REFERENCE §5, §13.7).
/// A symmetric padding=1 conv would shift every latent by half a pixel.
/// </summary>
public sealed class VaeDownsample : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public VaeDownsample(int channels) : base(nameof(VaeDownsample))
    {
        conv = nn.Conv2d(channels, channels, kernel_size: 3, stride: 2, padding: 0L);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var padded = nn.functional.pad(x, [0, 1, 0, 1], PaddingModes.Constant, 0);   // (left 0, right 1, top 0, bottom 1)
        return conv.call(padded).MoveToOuterDisposeScope();                            // [B, C, H/2, W/2]
    }
}
