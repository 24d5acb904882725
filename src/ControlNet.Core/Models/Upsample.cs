using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>LDM U-Net Upsample: nearest ×2 then 3×3 conv (key <c>conv</c>).</summary>
public sealed class Upsample : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public Upsample(long channels, Device? device = null, ScalarType? dtype = null) : base(nameof(Upsample))
    {
        conv = nn.Conv2d(channels, channels, 3, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var up = nn.functional.interpolate(x, scale_factor: new[] { 2.0, 2.0 }, mode: InterpolationMode.Nearest); // [B, C, 2H, 2W]
        return conv.call(up).MoveToOuterDisposeScope();
    }
}
