using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;

namespace ControlNet.Conditions.Scribble;

/// <summary>User scribbles: dark strokes on light paper → white-on-black map (pixel = 255 where min(R,G,B) &lt; threshold).</summary>
public sealed class ScribblePreprocessor : Preprocessor<ScribbleOptions>
{
    public override string Id => "scribble";
    public override string Description => "User scribble (dark strokes on white) to a white-on-black map.";

    public override ConditionImage Run(PreprocessorSource source, ScribbleOptions options, CancellationToken cancellationToken = default)
    {
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        using var min = new Mat();
        var channels = resized.Split();
        Cv2.Min(channels[0], channels[1], min);
        Cv2.Min(min, channels[2], min);
        foreach (var c in channels) c.Dispose();
        using var strokes = new Mat();
        // THRESH_BINARY_INV keeps values <= thresh; "< threshold" on integers is "<= threshold - 1".
        Cv2.Threshold(min, strokes, options.Threshold - 1, 255, ThresholdTypes.BinaryInv);
        using var map = Mats.Hwc3(strokes);
        return Mats.ToImage(map);
    }
}
