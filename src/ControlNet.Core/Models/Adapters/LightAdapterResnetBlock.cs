using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models.Adapters;

/// <summary>Residual block of the light T2I-Adapter (TencentARC <c>ResnetBlock_light</c>): x + conv3×3(ReLU(conv3×3(x))).</summary>
public sealed class LightAdapterResnetBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d block1;
    private readonly Conv2d block2;

    public LightAdapterResnetBlock(long channels, Device? device = null, ScalarType? dtype = null) : base(nameof(LightAdapterResnetBlock))
    {
        block1 = nn.Conv2d(channels, channels, 3, padding: 1, device: device, dtype: dtype);
        block2 = nn.Conv2d(channels, channels, 3, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, C, H, W]</param>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = block2.call(nn.functional.relu(block1.call(x)));
        return (h + x).MoveToOuterDisposeScope();
    }
}
