namespace ControlNet.Abstractions;

/// <summary>
/// The reference <c>resize_image(img, resolution)</c> size rule (CN annotator/util.py, REFERENCE §9): scale so the short side
/// is <c>resolution</c>, then round each side to the nearest multiple of 64. The resampling is LANCZOS4 when enlarging
/// (k &gt; 1) and AREA otherwise; plug-ins apply it with their image library.
/// </summary>
public static class ReferenceResize
{
    /// <summary>Target (width, height) and whether the image is enlarged (k &gt; 1 ⇒ LANCZOS4, else AREA).</summary>
    public static (int Width, int Height, bool Enlarge) TargetSize(int width, int height, int resolution)
    {
        if (resolution < 64) throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "The detect resolution must be at least 64 (sides are rounded to multiples of 64).");
        double k = resolution / (double)Math.Min(width, height);
        // np.round rounds half to even, as Math.Round does by default.
        double hd = Math.Round(height * k / 64.0) * 64, wd = Math.Round(width * k / 64.0) * 64;
        // Checked as doubles before the int cast: a large resolution or an elongated image can exceed any int.
        if (wd >= 1 && hd >= 1) ImageLimits.Check((long)Math.Min(wd, long.MaxValue / 2), (long)Math.Min(hd, long.MaxValue / 2), $"The resize target of a {width}×{height} image at detect resolution {resolution}");
        int h = (int)hd, w = (int)wd;
        if (w == 0 || h == 0) throw new ArgumentException($"A {width}×{height} image at resolution {resolution} rounds a side to 0 pixels; use a less elongated image or a larger resolution.");
        return (w, h, k > 1);
    }
}
