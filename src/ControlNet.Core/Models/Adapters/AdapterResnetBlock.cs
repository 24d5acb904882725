using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models.Adapters;

/// <summary>
/// One residual block of the full T2I-Adapter (TencentARC <c>ResnetBlock</c> with ksize=1, sk=True, use_conv=False, as the
/// SD 1.x adapters are built; diffusers <c>AdapterBlock</c> + <c>AdapterResnetBlock</c>): optional 2×2 average pool, a 1×1
/// <c>in_conv</c> when the width changes, then x + conv1×1(ReLU(conv3×3(x))).
/// </summary>
public sealed class AdapterResnetBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d? in_conv;
    private readonly Conv2d block1;
    private readonly Conv2d block2;
    private readonly bool _down;

    public AdapterResnetBlock(long inChannels, long outChannels, bool down, Device? device = null, ScalarType? dtype = null) : base(nameof(AdapterResnetBlock))
    {
        _down = down;
        in_conv = inChannels != outChannels ? nn.Conv2d(inChannels, outChannels, 1, device: device, dtype: dtype) : null;
        block1 = nn.Conv2d(outChannels, outChannels, 3, padding: 1, device: device, dtype: dtype);
        block2 = nn.Conv2d(outChannels, outChannels, 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <returns>[B, Cout, H or ⌈H/2⌉, W or ⌈W/2⌉]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // ceil_mode as diffusers: odd sides round up, like the U-Net's stride-2 downsample conv.
        if (_down) x = nn.functional.avg_pool2d(x, 2, 2, ceil_mode: true);            // [B, Cin, ⌈H/2⌉, ⌈W/2⌉]
        if (in_conv is not null) x = in_conv.call(x);                                   // [B, Cout, h, w]
        var h = block2.call(nn.functional.relu(block1.call(x)));
        return (h + x).MoveToOuterDisposeScope();
    }
}
