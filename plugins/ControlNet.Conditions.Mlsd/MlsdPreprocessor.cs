using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Mlsd;

/// <summary>
/// Straight lines from a photo (M-LSD, REFERENCE §9): the photo resized with the reference <c>resize_image</c>, RGB plus a
/// plane of ones, <c>v/127.5 − 1</c>, into <see cref="MobileV2MlsdLarge"/>; segments decoded (<see cref="MlsdLineDecoder"/>)
/// and drawn 1 pixel wide in white on black, endpoints truncated to integers as the reference does.
/// </summary>
public sealed class MlsdPreprocessor : Preprocessor<MlsdOptions>
{
    /// <summary>lllyasviel/Annotators mlsd_large_512_fp32.pth (size as the Hub lists it, 6.34 MB).</summary>
    public static ModelFile Weights { get; } = ModelFile.Annotator("mlsd_large_512_fp32.pth", 6_340_000);

    public override string Id => "mlsd";
    public override string Description => "Straight line segments from a photo (M-LSD large); needs mlsd_large_512_fp32.pth.";

    public override ConditionImage Run(PreprocessorSource source, MlsdOptions options, CancellationToken cancellationToken = default)
    {
        if (options.ValueThreshold is < 0 or > 1) throw new ArgumentException($"value-threshold is {options.ValueThreshold}; expected 0–1 (default 0.1).");
        if (options.DistanceThreshold < 0) throw new ArgumentException($"distance-threshold is {options.DistanceThreshold}; expected 0 or more (default 0.1).");
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        var models = source.RequireModels(Id, Weights);
        using var net = new MobileV2MlsdLarge();
        models.LoadInto(net, Weights);
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        var lines = Detect(net, resized, options.ValueThreshold, options.DistanceThreshold);
        using var drawn = Draw(lines, resized.Cols, resized.Rows);
        using var map = Mats.Hwc3(drawn);
        return Mats.ToImage(map);
    }

    /// <summary>The segments found in an RGB 8-bit image, in its pixels.</summary>
    public static IReadOnlyList<LineSegment> Detect(MobileV2MlsdLarge net, Mat rgb, double valueThreshold, double distanceThreshold)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        net.eval();
        var image = MatTensors.ToTensor(rgb);                                             // [1, 3, H, W] 0–255
        var x = cat([image, ones(1, 1, rgb.Rows, rgb.Cols)], 1) / 127.5 - 1.0;             // [1, 4, H, W]
        var maps = net.call(x);                                                          // [1, 9, H/2, W/2]
        return MlsdLineDecoder.Decode(maps, valueThreshold, distanceThreshold);
    }

    /// <summary>1-pixel white lines on a black gray canvas; endpoints truncated toward zero (Python <c>int()</c>).</summary>
    public static Mat Draw(IEnumerable<LineSegment> lines, int width, int height)
    {
        var canvas = new Mat(height, width, MatType.CV_8UC1, Scalar.All(0));
        foreach (var l in lines)
            Cv2.Line(canvas, new Point((int)l.X1, (int)l.Y1), new Point((int)l.X2, (int)l.Y2), Scalar.All(255), 1);
        return canvas;
    }
}
