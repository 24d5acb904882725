namespace ControlNet.Pipelines;

/// <summary>
/// A1111 sd-webui-controlnet "pixel perfect" (<c>pixel_perfect_resolution</c>): the detect resolution that makes the
/// condition map as large as the output it will be fitted to, so the map is not detected small and then enlarged.
/// With <c>k_h = target H / image H</c> and <c>k_w = target W / image W</c>, the resolution is
/// <c>round(k · min(image W, image H))</c>, k being the smaller for resize-and-fill (the image fits inside the output)
/// and the larger otherwise (the image covers it). Rounding is half to even, as numpy's.
/// </summary>
public static class PixelPerfect
{
    /// <summary>The preprocessor option it sets.</summary>
    public const string Option = "detect-resolution";

    public static int DetectResolution(int imageWidth, int imageHeight, int targetWidth, int targetHeight, ResizeMode mode)
    {
        if (imageWidth <= 0 || imageHeight <= 0 || targetWidth <= 0 || targetHeight <= 0)
            throw new ArgumentException($"Pixel perfect needs positive sizes; got image {imageWidth}×{imageHeight}, output {targetWidth}×{targetHeight}.");
        double kh = targetHeight / (double)imageHeight, kw = targetWidth / (double)imageWidth;
        double k = mode == ResizeMode.ResizeAndFill ? Math.Min(kh, kw) : Math.Max(kh, kw);
        return (int)Math.Round(k * Math.Min(imageWidth, imageHeight));
    }
}
