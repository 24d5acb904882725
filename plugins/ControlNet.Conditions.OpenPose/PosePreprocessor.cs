using System.ComponentModel;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;

namespace ControlNet.Conditions.OpenPose;

public enum PoseStyle { V10, V11 }
public enum PoseCoordinates { Auto, Pixels, Normalized }

/// <summary>Options of the openpose preprocessor.</summary>
public sealed record PoseOptions(
    [Description("Drawing variant: v10 (ControlNet 1.0, blended limbs) or v11 (ControlNet 1.1, limbs ×0.6 then circles).")] PoseStyle Style = PoseStyle.V11,
    [Description("Keypoint units: pixels, normalized (0–1, scaled by width/height) or auto (normalized when every coordinate is ≤ 1).")] PoseCoordinates Coordinates = PoseCoordinates.Auto,
    [Description("Canvas width; 0 = the JSON's canvas_width, else 512.")] int Width = 0,
    [Description("Canvas height; 0 = the JSON's canvas_height, else 512.")] int Height = 0);

/// <summary>Draws the body-pose condition from OpenPose JSON keypoints. The pose-estimation network is a separate issue.</summary>
public sealed class PosePreprocessor : Preprocessor<PoseOptions>
{
    public override string Id => "openpose";
    public override string Description => "Body pose drawn from OpenPose JSON keypoints (18 COCO points; hands and face are not drawn).";
    public override PreprocessorInput Input => PreprocessorInput.File;

    public override ConditionImage Run(PreprocessorSource source, PoseOptions options, CancellationToken cancellationToken = default)
    {
        var doc = PoseDocument.Parse(source.RequireBytes(Id), source.FileName is { } n ? $"'{n}'" : "The input");
        int w = options.Width > 0 ? options.Width : doc.CanvasWidth ?? 512;
        int h = options.Height > 0 ? options.Height : doc.CanvasHeight ?? 512;
        ImageLimits.Check(w, h, "The pose canvas");
        bool normalized = options.Coordinates switch
        {
            PoseCoordinates.Normalized => true,
            PoseCoordinates.Pixels => false,
            _ => doc.People.SelectMany(p => p.Keypoints).All(k => k is null || (k.Value.X <= 1 && k.Value.Y <= 1)),
        };
        // Keypoints far off the canvas are damage, and OpenCV would spend minutes on the polygon of a limb of length 1e308.
        foreach (var (person, index) in doc.People.Select((p, i) => (p, i)))
            foreach (var k in person.Keypoints)
                if (k is { } v && !(Math.Abs(normalized ? v.X * w : v.X) <= 4.0 * w && Math.Abs(normalized ? v.Y * h : v.Y) <= 4.0 * h))
                    throw new InvalidDataException($"people[{index}] has a keypoint at ({v.X}, {v.Y}), far outside the {w}×{h} canvas; the pose JSON is damaged or uses another coordinate system.");
        var people = normalized
            ? doc.People.Select(p => new PosePerson(p.Keypoints.Select(k => k is { } v ? (v.X * w, v.Y * h) : ((double, double)?)null).ToArray())).ToArray()
            : doc.People;
        OpenCvNative.EnsureLoaded();
        using var canvas = options.Style == PoseStyle.V10 ? BodyPoseDrawing.DrawV10(w, h, people) : BodyPoseDrawing.DrawV11(w, h, people);
        return Mats.ToImage(canvas);
    }
}
