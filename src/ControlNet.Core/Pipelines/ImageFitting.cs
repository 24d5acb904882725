using ControlNet.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Pipelines;

/// <summary>
/// Condition, init and mask images ↔ tensors at the sizes the networks need. Resampling: area averaging when both sides
/// shrink, bicubic (clamped to the input range) otherwise; masks use nearest neighbour so a masked pixel stays masked.
/// </summary>
public static class ImageFitting
{
    /// <summary>
    /// The control tensor [1, <paramref name="channels"/>, H, W] float32: samples in [0, 1] (16-bit maps keep their precision),
    /// gray replicated to RGB, fitted with <paramref name="mode"/>, pixels of the image's mask −1 (inpainting; REFERENCE §9).
    /// </summary>
    public static Tensor ConditionTensor(ConditionImage image, int width, int height, ResizeMode mode, int channels = 3)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Channels != channels && !(image.Channels == 1 && channels == 3) && !(image.Channels == 3 && channels == 1))
            throw new ArgumentException($"The condition image has {image.Channels} channels; this control reads {channels}. Pass an RGB or gray map.");
        using var scope = NewDisposeScope();
        var pixels = Fit(image.WithMask(null).ToTensor(), width, height, mode, nearest: false);       // [1, C, H, W] in [0, 1]
        if (pixels.shape[1] == 3 && channels == 1)
            // gray adapters (T2I canny, sketch): ITU-R 601 luma, as OpenCV's RGB2GRAY that TencentARC's preprocessing uses
            pixels = (pixels[.., 0..1] * 0.299f + pixels[.., 1..2] * 0.587f + pixels[.., 2..3] * 0.114f).contiguous();   // [1, 1, H, W]
        else if (pixels.shape[1] != channels) pixels = pixels.expand(1, channels, height, width).contiguous();
        if (image.Mask is { } mask)
        {
            var m = Fit(MaskTensor(image.Width, image.Height, mask), width, height, mode, nearest: true); // [1, 1, H, W], 1 = masked
            pixels = torch.where(m > 0.5, torch.tensor(-1f), pixels);
        }
        return pixels.MoveToOuterDisposeScope();
    }

    /// <summary>An init image as [1, 3, H, W] in [−1, 1], fitted by crop-and-resize (keeps the aspect ratio, as the condition default).</summary>
    public static Tensor InitImageTensor(ConditionImage image, int width, int height)
    {
        using var scope = NewDisposeScope();
        var rgb = image.Channels == 1 ? image.WithMask(null).ToRgb8() : image.WithMask(null);
        var x = Fit(rgb.ToTensor(), width, height, ResizeMode.CropAndResize, nearest: false);        // [1, 3, H, W] in [0, 1]
        return (x * 2 - 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A repaint mask at latent size [1, 1, h, w]: 1 = regenerate. A pixel counts as white when its mean over channels ≥ 0.5;
    /// the mask is fitted like the init image (crop-and-resize), area-averaged to the latent grid and thresholded at 0.5.
    /// </summary>
    public static Tensor LatentMask(ConditionImage mask, int width, int height, int latentWidth, int latentHeight)
    {
        using var scope = NewDisposeScope();
        var white = (mask.WithMask(null).ToTensor().mean([1], keepdim: true) >= 0.5).to_type(ScalarType.Float32);   // [1, 1, h0, w0]
        var fitted = Fit(white, width, height, ResizeMode.CropAndResize, nearest: true);                             // [1, 1, H, W]
        var small = nn.functional.adaptive_avg_pool2d(fitted, new long[] { latentHeight, latentWidth });             // [1, 1, h, w]
        return (small >= 0.5).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Images [B, 3, H, W] in [−1, 1] → RGB 8-bit, as diffusers: round((x/2 + 0.5).clamp(0, 1)·255).</summary>
    public static IReadOnlyList<ConditionImage> ToImages(Tensor images)
    {
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"Decoded images must be [B, 3, H, W]; got [{string.Join(", ", images.shape)}]. The model's output must be RGB.");
        using var scope = NewDisposeScope();
        var bytes = ((images.to_type(ScalarType.Float32) / 2 + 0.5).clamp(0, 1) * 255).round().to_type(ScalarType.Byte)
            .permute(0, 2, 3, 1).contiguous().cpu();                                                                  // [B, H, W, 3]
        int b = (int)bytes.shape[0], h = (int)bytes.shape[1], w = (int)bytes.shape[2];
        var all = bytes.data<byte>().ToArray();
        var result = new List<ConditionImage>(b);
        for (int i = 0; i < b; i++)
            result.Add(ConditionImage.Rgb(w, h, all.AsSpan(i * h * w * 3, h * w * 3).ToArray()));
        return result;
    }

    /// <summary>Fits [1, C, h, w] to [1, C, H, W] with the resize mode (centre crop / centre with black borders).</summary>
    public static Tensor Fit(Tensor image, int width, int height, ResizeMode mode, bool nearest)
    {
        long h = image.shape[2], w = image.shape[3];
        switch (mode)
        {
            case ResizeMode.JustResize:
                return Resample(image, height, width, nearest);
            case ResizeMode.CropAndResize:
                {
                    double k = Math.Max((double)width / w, (double)height / h);
                    int sw = Math.Max(width, (int)Math.Round(w * k)), sh = Math.Max(height, (int)Math.Round(h * k));
                    var scaled = Resample(image, sh, sw, nearest);
                    int top = (sh - height) / 2, left = (sw - width) / 2;
                    return scaled[.., .., top..(top + height), left..(left + width)];
                }
            case ResizeMode.ResizeAndFill:
                {
                    double k = Math.Min((double)width / w, (double)height / h);
                    int sw = Math.Clamp((int)Math.Round(w * k), 1, width), sh = Math.Clamp((int)Math.Round(h * k), 1, height);
                    var scaled = Resample(image, sh, sw, nearest);
                    int top = (height - sh) / 2, left = (width - sw) / 2;
                    return nn.functional.pad(scaled, new long[] { left, width - sw - left, top, height - sh - top });   // zeros = black
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown resize mode; use JustResize, CropAndResize or ResizeAndFill.");
        }
    }

    static Tensor Resample(Tensor image, int height, int width, bool nearest)
    {
        long h = image.shape[2], w = image.shape[3];
        if (h == height && w == width) return image.alias();
        if (nearest)
            return nn.functional.interpolate(image, new long[] { height, width }, mode: InterpolationMode.Nearest);
        if (height <= h && width <= w)
            return nn.functional.adaptive_avg_pool2d(image, new long[] { height, width });                 // area (cv2 INTER_AREA)
        var (lo, hi) = (image.min().item<float>(), image.max().item<float>());
        return nn.functional.interpolate(image, new long[] { height, width }, mode: InterpolationMode.Bicubic, align_corners: false).clamp(lo, hi);
    }

    static Tensor MaskTensor(int width, int height, byte[] mask) =>
        torch.tensor(mask.Select(m => m != 0 ? 1f : 0f).ToArray(), new long[] { 1, 1, height, width });
}
