using OpenCvSharp;

namespace ControlNet.Conditions.Scribble;

/// <summary>The reference <c>nms</c> and fake-scribble post-processing (CN annotator/util.py, gradio_fake_scribble2image; REFERENCE §9).</summary>
public static class FakeScribble
{
    // The four 3×3 line kernels: horizontal, vertical and the two diagonals.
    static readonly byte[][] Kernels =
    [
        [0, 0, 0, 1, 1, 1, 0, 0, 0],
        [0, 1, 0, 0, 1, 0, 0, 1, 0],
        [1, 0, 0, 0, 1, 0, 0, 0, 1],
        [0, 0, 1, 0, 1, 0, 1, 0, 0],
    ];

    /// <summary><c>nms(x, t, s)</c>: blur (float32, σ = s), keep pixels equal to their directional 3×3 dilation in any direction, then &gt; t → 255.</summary>
    public static Mat Nms(Mat map, double threshold, double sigma)
    {
        using var x = new Mat();
        map.ConvertTo(x, MatType.CV_32FC(map.Channels()));
        Cv2.GaussianBlur(x, x, new Size(0, 0), sigma);
        using var y = new Mat(x.Size(), x.Type(), Scalar.All(0));
        foreach (var k in Kernels)
        {
            using var kernel = Mat.FromPixelData(3, 3, MatType.CV_8UC1, k);
            using var dilated = new Mat();
            Cv2.Dilate(x, dilated, kernel);
            using var equal = new Mat();
            Cv2.Compare(dilated, x, equal, CmpTypes.EQ);
            x.CopyTo(y, equal); // np.putmask(y, dilate(x) == x, x)
        }
        using var z = new Mat();
        Cv2.Threshold(y, z, threshold, 255, ThresholdTypes.Binary); // z[y > t] = 255
        var result = new Mat();
        z.ConvertTo(result, MatType.CV_8UC(map.Channels()));
        return result;
    }

    /// <summary>nms(map, 127, 3) → GaussianBlur σ 3 on uint8 → &gt; 4 → 255, else 0.</summary>
    public static Mat FromEdges(Mat edges, double threshold = 127, double sigma = 3.0)
    {
        var map = Nms(edges, threshold, sigma);
        Cv2.GaussianBlur(map, map, new Size(0, 0), sigma);
        Cv2.Threshold(map, map, 4, 255, ThresholdTypes.Binary);
        return map;
    }
}
