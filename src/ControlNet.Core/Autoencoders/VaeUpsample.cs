using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>LDM <c>Upsample</c>: nearest-neighbour ×2, then 3×3 conv with padding 1.</summary>
public sealed class VaeUpsample : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public VaeUpsample(int channels) : base(nameof(VaeUpsample))
    {
        conv = nn.Conv2d(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var up = nn.functional.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);   // [B, C, 2H, 2W]
        return conv.call(up).MoveToOuterDisposeScope();
    }
}
