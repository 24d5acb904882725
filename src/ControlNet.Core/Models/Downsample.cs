using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>LDM U-Net Downsample: 3×3 conv, stride 2, padding 1 (key <c>op</c>).</summary>
public sealed class Downsample : nn.Module<Tensor, Tensor>
{
    private readonly AdaptiveConv2d op;

    public Downsample(long channels, Device? device = null, ScalarType? dtype = null) : base(nameof(Downsample))
    {
        op = new AdaptiveConv2d(channels, channels, 3, stride: 2, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => op.call(x); // [B, C, H/2, W/2]
}
