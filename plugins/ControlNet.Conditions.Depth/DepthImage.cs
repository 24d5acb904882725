using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;

namespace ControlNet.Conditions.Depth;

/// <summary>Depth as float32 Mats: read from a depth image, normalised, and written as the 8-bit map.</summary>
static class DepthImage
{
    /// <summary>A depth image (8- or 16-bit, gray or gray-as-RGB) as float32 in 8-bit units (16-bit / 257), resized by the reference rule.</summary>
    public static Mat ReadResized(ConditionImage image, int detectResolution)
    {
        using var raw = Mats.FromImage(image);
        using var gray = new Mat();
        if (raw.Channels() == 3) Cv2.CvtColor(raw, gray, ColorConversionCodes.RGB2GRAY); else raw.CopyTo(gray);
        using var f = new Mat();
        gray.ConvertTo(f, MatType.CV_32FC1, image.Depth == SampleDepth.Sixteen ? 1.0 / 257.0 : 1.0);
        return ReferenceResizer.Apply(f, detectResolution);
    }

    /// <summary>Min–max to [0, 1] (depth_pt in the reference); a constant map becomes all zeros.</summary>
    public static Mat Normalized(Mat depth)
    {
        Cv2.MinMaxLoc(depth, out double min, out double max);
        // depth -= min; depth /= max, in this order (as the reference), so the maximum becomes exactly 1.
        var n = new Mat();
        Cv2.Subtract(depth, new Scalar(min), n);
        Cv2.MinMaxLoc(n, out _, out double range);
        if (range > 0) Cv2.Divide(n, new Scalar(range), n);
        return n;
    }

    /// <summary>8-bit units → [0, 1].</summary>
    public static Mat ToUnitRange(Mat depth8)
    {
        var m = new Mat();
        depth8.ConvertTo(m, MatType.CV_32FC1, 1.0 / 255.0);
        return m;
    }

    /// <summary>A [0, 1] float32 map as <c>(depth_pt · 255).clip(0, 255).astype(uint8)</c> (truncation, not rounding), gray-as-RGB.</summary>
    public static ConditionImage ToGrayRgb(Mat unit)
    {
        unit.GetArray(out float[] v);
        var rgb = new byte[v.Length * 3];
        for (int i = 0; i < v.Length; i++)
        {
            byte b = (byte)Math.Clamp(v[i] * 255f, 0f, 255f);
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = b;
        }
        return ConditionImage.Rgb(unit.Cols, unit.Rows, rgb);
    }
}
