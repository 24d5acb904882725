using ControlNet.Conditions.OpenCv;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Conditions.OpenPose;

/// <summary>A hand or face keypoint: pixel position and the heat-map value there.</summary>
public readonly record struct PartKeypoint(int X, int Y, double Score);

/// <summary>
/// Hand keypoints in one square BGR crop (CN11 annotator/openpose/hand.py <c>Hand.__call__</c>): the crop blurred with a
/// Gaussian of σ 0.8, then at each scale of the search (0.5, 1, 1.5, 2 × box size 368: 184² … 736²) resized to a square
/// (AREA when shrinking, LANCZOS4 when enlarging), padded right and bottom to a multiple of 8 with 128, fed as
/// <c>v/256 − 0.5</c>; each of the 22 output maps is enlarged ×8, the padding cropped, resized to 128×128 and averaged over
/// the scales. Each of the 21 keypoints is then one peak (<see cref="Peak"/>).
/// </summary>
public static class HandPoseEstimator
{
    public static readonly double[] DefaultScales = [0.5, 1.0, 1.5, 2.0];
    public const int MapSize = 128;
    public const double BlurSigma = 0.8;
    public const double Threshold = 0.05;
    public const int Keypoints = 21;

    /// <summary>The 21 keypoints in the crop's pixels; null where the hand map has no smoothed value above 0.05.</summary>
    public static PartKeypoint?[] Detect(CpmKeypointNetwork net, Mat bgrCrop, IReadOnlyList<double>? scales = null)
    {
        var maps = Heatmaps(net, bgrCrop, scales ?? DefaultScales);
        try { return maps.Take(Keypoints).Select(m => Peak(m, bgrCrop.Cols, bgrCrop.Rows)).ToArray(); }
        finally { foreach (var m in maps) m.Dispose(); }
    }

    /// <summary>The 22 heat maps at 128×128 (one-channel float32 Mats), averaged over the scales.</summary>
    public static Mat[] Heatmaps(CpmKeypointNetwork net, Mat bgrCrop, IReadOnlyList<double> scales)
    {
        if (net.Heatmaps != CpmKeypointNetwork.HandHeatmaps) throw new ArgumentException("The hand estimator needs the hand network (hand_pose_model.pth).", nameof(net));
        var sums = Enumerable.Range(0, net.Heatmaps).Select(_ => new Mat(MapSize, MapSize, MatType.CV_32FC1, Scalar.All(0))).ToArray();
        using var blurred = new Mat();
        Cv2.GaussianBlur(bgrCrop, blurred, new OpenCvSharp.Size(0, 0), BlurSigma);
        net.eval();
        foreach (var scale in scales)
        {
            int side = (int)(scale * BodyPoseEstimator.BoxSize);
            using var scaled = BodyPoseEstimator.SmartResize(blurred, side, side);
            using var padded = BodyPoseEstimator.PadToStride(scaled);
            float[] values;
            long mh, mw;
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                var x = MatTensors.ToTensor(padded) / 256.0 - 0.5; // [1, 3, Hp, Wp] BGR
                var maps = net.call(x);                            // [1, 22, Hp/8, Wp/8]
                (mh, mw) = (maps.shape[2], maps.shape[3]);
                values = maps.contiguous().data<float>().ToArray();
            }
            BodyPoseEstimator.Accumulate(sums, values, (int)mh, (int)mw, scaled, 1.0 / scales.Count);
        }
        return sums;
    }

    /// <summary>
    /// One keypoint from its 128×128 map: the map smoothed with a Gaussian of σ 3; where it exceeds 0.05, the 8-connected region
    /// with the largest sum of the unsmoothed map is kept (the first in raster order on a tie), everything else set to 0; the
    /// first maximum of the result in raster order, scaled to the crop (<c>int(i · side / 128)</c>), scored with its value.
    /// Null when no smoothed value exceeds 0.05.
    /// </summary>
    /// <param name="map">[128, 128] as a one-channel float Mat</param>
    public static PartKeypoint? Peak(Mat map, int cropWidth, int cropHeight, double threshold = Threshold)
    {
        using var raw64 = new Mat();
        map.ConvertTo(raw64, MatType.CV_64FC1);
        using var smooth = HeatmapPeaks.Smooth(raw64);
        using var binary = new Mat();
        Cv2.Compare(smooth, Scalar.All(threshold), binary, CmpTypes.GT);
        if (Cv2.CountNonZero(binary) == 0) return null;
        using var labels = new Mat();
        int count = Cv2.ConnectedComponents(binary, labels, PixelConnectivity.Connectivity8, MatType.CV_32S);
        int h = map.Rows, w = map.Cols;
        raw64.GetArray(out double[] raw);
        labels.GetArray(out int[] label);

        // skimage numbers regions in raster order of their first pixel; rank OpenCV's labels the same way for ties.
        var sums = new double[count];
        var firstSeen = Enumerable.Repeat(int.MaxValue, count).ToArray();
        for (int i = 0; i < raw.Length; i++)
        {
            if (label[i] == 0) continue;
            sums[label[i]] += raw[i];
            if (firstSeen[label[i]] == int.MaxValue) firstSeen[label[i]] = i;
        }
        int best = Enumerable.Range(1, count - 1).OrderBy(l => firstSeen[l]).Aggregate((a, b) => sums[b] > sums[a] ? b : a);

        int at = 0;
        double max = double.NegativeInfinity;
        for (int i = 0; i < raw.Length; i++)
        {
            double v = label[i] == best ? raw[i] : 0;
            if (v > max) (max, at) = (v, i);
        }
        int y = at / w, x = at % w;
        return new PartKeypoint((int)(x * (double)cropWidth / w), (int)(y * (double)cropHeight / h), max);
    }
}
