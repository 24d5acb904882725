using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>LDM U-Net Upsample: nearest ×2 then 3×3 conv (key <c>conv</c>).</summary>
public sealed class Upsample : nn.Module<Tensor, Tensor>
{
    private readonly AdaptiveConv2d conv;

    public Upsample(long channels, Device? device = null, ScalarType? dtype = null) : base(nameof(Upsample))
    {
        conv = new AdaptiveConv2d(channels, channels, 3, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => forward(x, null);

    /// <summary>
    /// Upsamples to <paramref name="size"/> ([H', W'], the next skip's size) when it is not exactly 2H × 2W: a latent
    /// whose side is not a multiple of 8 gives odd sizes on the way down (65 → 33 → 17 → 9), and diffusers then
    /// interpolates to the skip's size (<c>upsample_size</c>) instead of doubling. Exact doubles keep the ×2 path.
    /// </summary>
    public Tensor forward(Tensor x, long[]? size)
    {
        using var scope = NewDisposeScope();
        bool doubled = size is null || (size[0] == 2 * x.shape[2] && size[1] == 2 * x.shape[3]);
        var up = doubled
            ? nn.functional.interpolate(x, scale_factor: new[] { 2.0, 2.0 }, mode: InterpolationMode.Nearest) // [B, C, 2H, 2W]
            : nn.functional.interpolate(x, size: size, mode: InterpolationMode.Nearest);                        // [B, C, H', W']
        return conv.call(up).MoveToOuterDisposeScope();
    }
}
