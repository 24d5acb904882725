using ControlNet.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Vision;

/// <summary>
/// CLIP's image preprocessing (transformers <c>CLIPImageProcessor</c>, as TencentARC's style pipeline calls it): RGB,
/// shortest side resized to the model's image size with bicubic resampling (antialiased when shrinking, rounded to
/// 8 bits like PIL), centre crop to a square, then (x/255 − mean) / std with CLIP's mean and std.
/// </summary>
public static class ClipImageProcessor
{
    /// <summary>CLIP's per-channel mean (openai/CLIP clip.py _transform).</summary>
    public static readonly float[] Mean = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>CLIP's per-channel standard deviation.</summary>
    public static readonly float[] Std = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>Pixel values [1, 3, <paramref name="size"/>, <paramref name="size"/>] float32 of <paramref name="image"/>.</summary>
    public static Tensor PixelValues(ConditionImage image, int size)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var scope = NewDisposeScope();
        var rgb = image.Channels == 3 ? image.WithMask(null) : image.WithMask(null).ToRgb8();
        var x = rgb.ToTensor() * 255;                                                        // [1, 3, H, W] in [0, 255]
        long h = x.shape[2], w = x.shape[3];
        // transformers get_resize_output_image_size: the short side becomes size, the long one int(size · long / short).
        var (rh, rw) = h <= w ? ((long)size, (long)(size * (double)w / h)) : ((long)(size * (double)h / w), (long)size);
        if (rh != h || rw != w)
            x = nn.functional.interpolate(x, new long[] { rh, rw }, mode: InterpolationMode.Bicubic, align_corners: false, antialias: true)
                .round().clamp(0, 255);                                                      // [1, 3, rh, rw], 8-bit values as PIL returns
        int top = (int)(rh - size) / 2, left = (int)(rw - size) / 2;
        x = x[.., .., top..(top + size), left..(left + size)] / 255;                         // [1, 3, S, S] in [0, 1]
        var mean = torch.tensor(Mean).reshape(1, 3, 1, 1);
        var std = torch.tensor(Std).reshape(1, 3, 1, 1);
        return ((x - mean) / std).contiguous().MoveToOuterDisposeScope();                    // [1, 3, S, S]
    }
}
