using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models.Adapters;

/// <summary>
/// One level of the light T2I-Adapter (TencentARC <c>extractor</c>; diffusers <c>LightAdapterBlock</c>): optional 2×2
/// average pool, 1×1 conv to a quarter of the level width, R residual blocks there, 1×1 conv to the level width.
/// </summary>
public sealed class LightAdapterExtractor : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d in_conv;
    private readonly Sequential body;
    private readonly Conv2d out_conv;
    private readonly bool _down;

    public LightAdapterExtractor(long inChannels, long outChannels, int resBlocks, bool down, Device? device = null, ScalarType? dtype = null) : base(nameof(LightAdapterExtractor))
    {
        _down = down;
        var inner = outChannels / 4;
        in_conv = nn.Conv2d(inChannels, inner, 1, device: device, dtype: dtype);
        body = nn.Sequential(Enumerable.Range(0, resBlocks).Select(_ => (nn.Module<Tensor, Tensor>)new LightAdapterResnetBlock(inner, device, dtype)).ToArray());
        out_conv = nn.Conv2d(inner, outChannels, 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <returns>[B, Cout, H or ⌈H/2⌉, W or ⌈W/2⌉]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        if (_down) x = nn.functional.avg_pool2d(x, 2, 2, ceil_mode: true);            // [B, Cin, ⌈H/2⌉, ⌈W/2⌉]
        var h = out_conv.call(body.call(in_conv.call(x)));                              // [B, Cout, h, w]
        return h.MoveToOuterDisposeScope();
    }
}
