using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;

namespace ControlNet.Conditions.Depth;

/// <summary>Reads a depth image (8- or 16-bit, gray or gray-as-RGB) as float32 in 8-bit units (16-bit / 257), resized by the reference rule.</summary>
static class DepthImage
{
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
}
