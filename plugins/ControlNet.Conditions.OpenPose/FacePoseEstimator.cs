using ControlNet.Conditions.OpenCv;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Conditions.OpenPose;

/// <summary>
/// Face keypoints in one BGR crop (CN11 annotator/openpose/face.py <c>Face.__call__</c> and <c>compute_peaks_from_heatmaps</c>):
/// the crop resized to 384×384 (AREA when shrinking, LANCZOS4 when enlarging), fed as <c>v/256 − 0.5</c>; the last stage's 71
/// maps are resized bilinearly (align corners) to the crop; each of the 70 landmarks is the first maximum, in raster order,
/// among the pixels above 0.05 of its map. The reference also takes a point from the background map (71st) and closes the
/// gaps of missing landmarks in its list; here the 70 OpenPose landmark positions are kept, a missing one as null.
/// </summary>
public static class FacePoseEstimator
{
    public const int InputSize = 384;
    public const double Threshold = 0.05;
    public const int Keypoints = 70;

    /// <summary>The 70 landmarks in the crop's pixels; null where the map has no value above 0.05.</summary>
    /// <param name="inputSize">the side the crop is resized to (384; a multiple of 8)</param>
    public static PartKeypoint?[] Detect(CpmKeypointNetwork net, Mat bgrCrop, int inputSize = InputSize)
    {
        var maps = Heatmaps(net, bgrCrop, inputSize);
        int plane = bgrCrop.Rows * bgrCrop.Cols;
        return Enumerable.Range(0, Keypoints).Select(k => Peak(maps.AsSpan(k * plane, plane), bgrCrop.Cols)).ToArray();
    }

    /// <summary>The 71 heat maps at the crop's size, row-major <c>[71, H, W]</c>.</summary>
    public static float[] Heatmaps(CpmKeypointNetwork net, Mat bgrCrop, int inputSize = InputSize)
    {
        if (net.Heatmaps != CpmKeypointNetwork.FaceHeatmaps) throw new ArgumentException("The face estimator needs the face network (facenet.pth).", nameof(net));
        if (inputSize < CpmKeypointNetwork.Stride || inputSize % CpmKeypointNetwork.Stride != 0)
            throw new ArgumentException($"The face network's input side must be a positive multiple of 8, got {inputSize}.", nameof(inputSize));
        using var scaled = BodyPoseEstimator.SmartResize(bgrCrop, inputSize, inputSize);
        net.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = MatTensors.ToTensor(scaled) / 256.0 - 0.5;  // [1, 3, S, S] BGR
        var maps = net.call(x);                             // [1, 71, S/8, S/8]
        var full = nn.functional.interpolate(maps, [bgrCrop.Rows, bgrCrop.Cols], mode: InterpolationMode.Bilinear, align_corners: true); // [1, 71, H, W]
        return full.contiguous().data<float>().ToArray();
    }

    /// <summary>The first maximum in raster order of the values above the threshold, or null when there are none.</summary>
    /// <param name="map">one map, row-major [H, W]</param>
    public static PartKeypoint? Peak(ReadOnlySpan<float> map, int width, double threshold = Threshold)
    {
        float limit = (float)threshold; // numpy compares the float32 maps with 0.05 as float32
        int at = -1;
        for (int i = 0; i < map.Length; i++)
            if (map[i] > limit && (at < 0 || map[i] > map[at])) at = i;
        return at < 0 ? null : new PartKeypoint(at % width, at / width, map[at]);
    }
}
