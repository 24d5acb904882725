using OpenCvSharp;

namespace ControlNet.Conditions.OpenPose;

/// <summary>A keypoint candidate: pixel position, the raw heat-map value there, and its id across all parts (in finding order).</summary>
public readonly record struct PosePeak(int X, int Y, double Score, int Id);

/// <summary>
/// Keypoint candidates of one heat map (CN annotator/openpose/body.py): the map smoothed with a Gaussian of σ 3 (scipy
/// <c>gaussian_filter</c>: 25 taps, mirrored borders), then every pixel at least as high as its four neighbours (outside the
/// image counts as 0) and above the threshold (0.1) is a peak, scored with the unsmoothed value. Row-major order.
/// </summary>
public static class HeatmapPeaks
{
    public const double Threshold = 0.1;
    public const double Sigma = 3.0;

    /// <param name="heatmap">[H, W] as a one-channel float Mat</param>
    /// <param name="firstId">id of the first peak found (ids run on across the 18 parts)</param>
    public static List<PosePeak> Find(Mat heatmap, int firstId, double threshold = Threshold)
    {
        using var original = new Mat();
        heatmap.ConvertTo(original, MatType.CV_64FC1);
        using var smooth = Smooth(original);
        int h = smooth.Rows, w = smooth.Cols;
        smooth.GetArray(out double[] s);
        original.GetArray(out double[] raw);
        var peaks = new List<PosePeak>();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double v = s[y * w + x];
                if (!(v > threshold)) continue;
                if (v < (y > 0 ? s[(y - 1) * w + x] : 0) || v < (y < h - 1 ? s[(y + 1) * w + x] : 0)
                    || v < (x > 0 ? s[y * w + x - 1] : 0) || v < (x < w - 1 ? s[y * w + x + 1] : 0)) continue;
                peaks.Add(new PosePeak(x, y, raw[y * w + x], firstId + peaks.Count));
            }
        return peaks;
    }

    /// <summary>scipy <c>gaussian_filter(map, sigma=3)</c> of a one-channel float64 map (also used by the hand peaks).</summary>
    public static Mat Smooth(Mat map64)
    {
        var smooth = new Mat();
        // scipy truncates at 4σ: radius int(4·3 + 0.5) = 12; its "reflect" mode repeats the edge pixel (OpenCV BORDER_REFLECT).
        int radius = (int)(4 * Sigma + 0.5);
        Cv2.GaussianBlur(map64, smooth, new Size(2 * radius + 1, 2 * radius + 1), Sigma, Sigma, BorderTypes.Reflect);
        return smooth;
    }
}
