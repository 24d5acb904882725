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
    [Description("Canvas height; 0 = the JSON's canvas_height, else 512.")] int Height = 0,
    [Description("For a photo: short side it is resized to before detection (reference resize_image; sides rounded to multiples of 64).")] int DetectResolution = 512);

/// <summary>
/// The body-pose condition. From OpenPose JSON keypoints it draws them; from a photo it detects the poses first with the
/// CMU body network (<see cref="BodyPoseEstimator"/>, <c>body_pose_model.pth</c>) at the detect resolution, draws them at that
/// size, and returns the keypoints as OpenPose JSON in <see cref="ConditionImage.Json"/> so they can be edited and fed back.
/// </summary>
public sealed class PosePreprocessor : Preprocessor<PoseOptions>
{
    /// <summary>lllyasviel/Annotators body_pose_model.pth (size as the Hub lists it, 209 MB).</summary>
    public static ModelFile BodyWeights { get; } = ModelFile.Annotator("body_pose_model.pth", 209_000_000);

    public override string Id => "openpose";
    public override string Description => "Body pose (18 COCO points) from a photo (needs body_pose_model.pth) or drawn from OpenPose JSON keypoints.";
    public override PreprocessorInput Input => PreprocessorInput.File;

    public override ConditionImage Run(PreprocessorSource source, PoseOptions options, CancellationToken cancellationToken = default)
    {
        if (source.Image is { } photo) return Detect(source, photo, options);
        var bytes = source.RequireBytes(Id);
        if (LooksLikeImage(bytes))
            throw new InvalidDataException($"{Name(source)} is an image, but this host passed it undecoded; the openpose preprocessor detects poses in photos on hosts with plug-in contract 1.2 or later.");
        return Draw(PoseDocument.Parse(bytes, Name(source)), options);
    }

    static string Name(PreprocessorSource source) => source.FileName is { } n ? $"'{n}'" : "The input";

    static bool LooksLikeImage(byte[] b) =>
        b.Length >= 4 && ((b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') || (b[0] == 0xFF && b[1] == 0xD8) || (b[0] == 'B' && b[1] == 'M')
                          || (b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F') || (b[0] == 'I' && b[1] == 'I') || (b[0] == 'M' && b[1] == 'M'));

    ConditionImage Detect(PreprocessorSource source, ConditionImage photo, PoseOptions options)
    {
        using var rgb = Mats.FromImage(photo.ToRgb8());
        var models = source.RequireModels(Id, BodyWeights);
        using var net = new BodyPoseNetwork();
        models.LoadInto(net, BodyWeights);
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        var people = BodyPoseEstimator.Detect(net, resized);
        var drawn = people.Select(p => p.ToPosePerson()).ToList();
        using var canvas = options.Style == PoseStyle.V10
            ? BodyPoseDrawing.DrawV10(resized.Cols, resized.Rows, drawn)
            : BodyPoseDrawing.DrawV11(resized.Cols, resized.Rows, drawn);
        return Mats.ToImage(canvas).WithJson(OpenPoseJsonWriter.Write(people, resized.Cols, resized.Rows));
    }

    static ConditionImage Draw(PoseDocument doc, PoseOptions options)
    {
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
