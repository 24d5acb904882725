using System.Runtime.InteropServices;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Conditions.OpenPose;

/// <summary>
/// Body-pose estimation on a photo (CN11 annotator/openpose/body.py <c>Body.__call__</c>): the BGR image scaled so its
/// height is 0.5·368 (box size 368, scale search [0.5]), padded right and bottom to a multiple of 8 with 128, fed as
/// <c>v/256 − 0.5</c>; each output map is enlarged ×8, cropped to the unpadded size and resized to the image; heat-map peaks
/// (<see cref="HeatmapPeaks"/>) are grouped into people (<see cref="PafAssociation"/>). Resizes use the reference's
/// <c>smart_resize</c>: AREA when shrinking, LANCZOS4 when enlarging.
/// </summary>
public static class BodyPoseEstimator
{
    public const int BoxSize = 368;
    public const byte PadValue = 128;
    public static readonly double[] DefaultScales = [0.5];

    /// <summary>The people found in an RGB 8-bit image, in its pixels.</summary>
    public static IReadOnlyList<DetectedPerson> Detect(BodyPoseNetwork net, Mat rgb, IReadOnlyList<double>? scales = null)
    {
        var (heatmaps, pafs) = Maps(net, rgb, scales ?? DefaultScales);
        try
        {
            var peaks = new List<IReadOnlyList<PosePeak>>();
            int id = 0;
            for (int part = 0; part < 18; part++)
            {
                var found = HeatmapPeaks.Find(heatmaps[part], id);
                peaks.Add(found);
                id += found.Count;
            }
            var planes = pafs.Select(m => { m.GetArray(out float[] v); return v; }).ToArray();
            return PafAssociation.Group(peaks, new PafField(rgb.Cols, rgb.Rows, planes));
        }
        finally
        {
            foreach (var m in heatmaps.Concat(pafs)) m.Dispose();
        }
    }

    /// <summary>The 19 heat maps and 38 PAFs at the image's size (one-channel float32 Mats), averaged over the scales.</summary>
    public static (Mat[] Heatmaps, Mat[] Pafs) Maps(BodyPoseNetwork net, Mat rgb, IReadOnlyList<double> scales)
    {
        int h = rgb.Rows, w = rgb.Cols;
        var heat = Enumerable.Range(0, BodyPoseNetwork.HeatmapChannels).Select(_ => new Mat(h, w, MatType.CV_32FC1, Scalar.All(0))).ToArray();
        var paf = Enumerable.Range(0, BodyPoseNetwork.PafChannels).Select(_ => new Mat(h, w, MatType.CV_32FC1, Scalar.All(0))).ToArray();
        using var bgr = new Mat();
        Cv2.CvtColor(rgb, bgr, ColorConversionCodes.RGB2BGR); // the reference network reads BGR
        net.eval();
        foreach (var scale in scales)
        {
            double k = scale * BoxSize / h;
            using var scaled = SmartResize(bgr, (int)(w * k), (int)(h * k));
            using var padded = PadToStride(scaled);

            float[] pafValues, heatValues;
            long mh, mw;
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                var x = MatTensors.ToTensor(padded) / 256.0 - 0.5;         // [1, 3, Hp, Wp] BGR
                var (p, m) = net.call(x);                                   // [1, 38, Hp/8, Wp/8], [1, 19, Hp/8, Wp/8]
                (mh, mw) = (m.shape[2], m.shape[3]);
                pafValues = p.contiguous().data<float>().ToArray();
                heatValues = m.contiguous().data<float>().ToArray();
            }
            Accumulate(heat, heatValues, (int)mh, (int)mw, scaled, 1.0 / scales.Count);
            Accumulate(paf, pafValues, (int)mh, (int)mw, scaled, 1.0 / scales.Count);
        }
        return (heat, paf);
    }

    /// <summary>The reference <c>padRightDownCorner</c>: pads right and bottom with 128 to a multiple of the stride (8).</summary>
    internal static Mat PadToStride(Mat scaled)
    {
        int padBottom = (BodyPoseNetwork.Stride - scaled.Rows % BodyPoseNetwork.Stride) % BodyPoseNetwork.Stride;
        int padRight = (BodyPoseNetwork.Stride - scaled.Cols % BodyPoseNetwork.Stride) % BodyPoseNetwork.Stride;
        var padded = new Mat();
        Cv2.CopyMakeBorder(scaled, padded, 0, padBottom, 0, padRight, BorderTypes.Constant, Scalar.All(PadValue));
        return padded;
    }

    /// <summary>
    /// Each network output map (<paramref name="values"/>: [C, mh, mw]) → ×stride, the padding cropped to <paramref name="scaled"/>'s
    /// size, resized to the size of <paramref name="sums"/>, added with <paramref name="weight"/>.
    /// </summary>
    internal static void Accumulate(Mat[] sums, float[] values, int mh, int mw, Mat scaled, double weight)
    {
        int plane = mh * mw;
        for (int c = 0; c < sums.Length; c++)
        {
            using var map = new Mat(mh, mw, MatType.CV_32FC1);
            Marshal.Copy(values, c * plane, map.Data, plane);
            using var up = SmartResize(map, mw * BodyPoseNetwork.Stride, mh * BodyPoseNetwork.Stride); // = the padded size
            using var cropped = new Mat(up, new Rect(0, 0, scaled.Cols, scaled.Rows));
            using var full = SmartResize(cropped, sums[c].Cols, sums[c].Rows);
            Cv2.ScaleAdd(full, weight, sums[c], sums[c]);
        }
    }

    /// <summary>The reference <c>smart_resize</c>: AREA when the target is smaller (by summed sides), else LANCZOS4.</summary>
    public static Mat SmartResize(Mat image, int width, int height)
    {
        if (width < 1 || height < 1) throw new ArgumentException($"The photo is too small for pose detection ({image.Cols}×{image.Rows} scales to {width}×{height}); use a larger image or detect resolution.");
        double k = (width + height) / (double)(image.Cols + image.Rows);
        var resized = new Mat();
        Cv2.Resize(image, resized, new OpenCvSharp.Size(width, height), 0, 0, k < 1 ? InterpolationFlags.Area : InterpolationFlags.Lanczos4);
        return resized;
    }
}
