using System.ComponentModel;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;

namespace ControlNet.Conditions.OpenPose;

public enum PoseStyle { V10, V11 }
public enum PoseCoordinates { Auto, Pixels, Normalized }

/// <summary>The parts a pose preprocessor detects and draws (the A1111 extension's openpose, _hand, _face, _faceonly, _full).</summary>
[Flags]
public enum PoseParts
{
    Body = 1,
    Hands = 2,
    Face = 4,
    Full = Body | Hands | Face,
}

/// <summary>Options of the openpose preprocessor.</summary>
public sealed record PoseOptions(
    [Description("Drawing variant: v10 (ControlNet 1.0, blended limbs) or v11 (ControlNet 1.1, limbs ×0.6 then circles).")] PoseStyle Style = PoseStyle.V11,
    [Description("Keypoint units: pixels, normalized (0–1, scaled by width/height) or auto (normalized when every coordinate is ≤ 1).")] PoseCoordinates Coordinates = PoseCoordinates.Auto,
    [Description("Canvas width; 0 = the JSON's canvas_width, else 512.")] int Width = 0,
    [Description("Canvas height; 0 = the JSON's canvas_height, else 512.")] int Height = 0,
    [Description("For a photo: short side it is resized to before detection (reference resize_image; sides rounded to multiples of 64).")] int DetectResolution = 512);

/// <summary>
/// The pose condition. From OpenPose JSON keypoints it draws them; from a photo it detects the poses first with the CMU body
/// network (<see cref="BodyPoseEstimator"/>, <c>body_pose_model.pth</c>) at the detect resolution, then, for the hand and
/// face variants, each person's hands (<c>hand_pose_model.pth</c>) and face (<c>facenet.pth</c>) through
/// <see cref="HandFaceEstimator"/>; it draws them at that size and returns the keypoints as OpenPose JSON in
/// <see cref="ConditionImage.Json"/> so they can be edited and fed back. Each variant draws only its parts, from a photo or JSON.
/// </summary>
public sealed class PosePreprocessor : Preprocessor<PoseOptions>
{
    /// <summary>lllyasviel/Annotators body_pose_model.pth (size as the Hub lists it, 209 MB).</summary>
    public static ModelFile BodyWeights { get; } = ModelFile.Annotator("body_pose_model.pth", 209_000_000);

    /// <summary>lllyasviel/Annotators hand_pose_model.pth (147 MB).</summary>
    public static ModelFile HandWeights { get; } = ModelFile.Annotator("hand_pose_model.pth", 147_000_000);

    /// <summary>lllyasviel/Annotators facenet.pth (154 MB).</summary>
    public static ModelFile FaceWeights { get; } = ModelFile.Annotator("facenet.pth", 154_000_000);

    /// <summary>The body-only preprocessor, <c>openpose</c>.</summary>
    public PosePreprocessor() : this(PoseParts.Body) { }

    /// <summary>The variant for <paramref name="parts"/>: Body, Body|Hands, Body|Face, Face (face only) or Full.</summary>
    public PosePreprocessor(PoseParts parts)
    {
        (Id, Description) = parts switch
        {
            PoseParts.Body => ("openpose", "Body pose (18 COCO points) from a photo (needs body_pose_model.pth) or drawn from OpenPose JSON keypoints."),
            PoseParts.Body | PoseParts.Hands => ("openpose-hand", "Body pose and hands (21 points each) from a photo (needs body_pose_model.pth and hand_pose_model.pth) or drawn from OpenPose JSON keypoints."),
            PoseParts.Body | PoseParts.Face => ("openpose-face", "Body pose and face (70 landmarks) from a photo (needs body_pose_model.pth and facenet.pth) or drawn from OpenPose JSON keypoints."),
            PoseParts.Face => ("openpose-faceonly", "Face landmarks only (found through the body pose) from a photo (needs body_pose_model.pth and facenet.pth) or drawn from OpenPose JSON keypoints."),
            PoseParts.Full => ("openpose-full", "Body pose, hands and face from a photo (needs body_pose_model.pth, hand_pose_model.pth and facenet.pth) or drawn from OpenPose JSON keypoints."),
            _ => throw new ArgumentException($"No pose preprocessor draws {parts}; use Body, Body|Hands, Body|Face, Face or Full.", nameof(parts)),
        };
        Parts = parts;
    }

    public PoseParts Parts { get; }
    public override string Id { get; }
    public override string Description { get; }
    public override PreprocessorInput Input => PreprocessorInput.File;

    /// <summary>The weight files a photo needs: the body network always (hands and face are found from the body).</summary>
    public IReadOnlyList<ModelFile> WeightFiles =>
        new[] { BodyWeights, Parts.HasFlag(PoseParts.Hands) ? HandWeights : null, Parts.HasFlag(PoseParts.Face) ? FaceWeights : null }.OfType<ModelFile>().ToArray();

    public override ConditionImage Run(PreprocessorSource source, PoseOptions options, CancellationToken cancellationToken = default)
    {
        if (source.Image is { } photo) return Detect(source, photo, options);
        var bytes = source.RequireBytes(Id);
        if (LooksLikeImage(bytes))
            throw new InvalidDataException($"{Name(source)} is an image, but this host passed it undecoded; the {Id} preprocessor detects poses in photos on hosts with plug-in contract 1.2 or later.");
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
        foreach (var file in WeightFiles) models.Locate(file); // every missing file is named before any work
        using var net = new BodyPoseNetwork();
        models.LoadInto(net, BodyWeights);
        using var hands = Parts.HasFlag(PoseParts.Hands) ? CpmKeypointNetwork.Hand() : null;
        if (hands is not null) models.LoadInto(hands, HandWeights);
        using var face = Parts.HasFlag(PoseParts.Face) ? CpmKeypointNetwork.Face() : null;
        if (face is not null) models.LoadInto(face, FaceWeights);

        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        var people = BodyPoseEstimator.Detect(net, resized);
        if (hands is not null || face is not null)
        {
            using var bgr = new Mat();
            Cv2.CvtColor(resized, bgr, ColorConversionCodes.RGB2BGR); // the reference networks read BGR
            people = people.Select(p => HandFaceEstimator.Detect(p, bgr, hands, face)).ToList();
        }
        using var canvas = Render(resized.Cols, resized.Rows, people.Select(p => p.ToPosePerson()).ToList(), options.Style);
        return Mats.ToImage(canvas).WithJson(OpenPoseJsonWriter.Write(people, resized.Cols, resized.Rows, Parts));
    }

    /// <summary>
    /// The reference <c>draw_pose</c>: the bodies (<see cref="BodyPoseDrawing"/>), then every hand (each person's left, then
    /// right), then every face (<see cref="HandFaceDrawing"/>), each only when this variant draws it.
    /// </summary>
    Mat Render(int width, int height, IReadOnlyList<PosePerson> people, PoseStyle style)
    {
        var canvas = !Parts.HasFlag(PoseParts.Body) ? new Mat(height, width, MatType.CV_8UC3, Scalar.All(0))
            : style == PoseStyle.V10 ? BodyPoseDrawing.DrawV10(width, height, people) : BodyPoseDrawing.DrawV11(width, height, people);
        if (Parts.HasFlag(PoseParts.Hands))
            HandFaceDrawing.DrawHands(canvas, people.SelectMany(p => new[] { p.LeftHand, p.RightHand }).OfType<IReadOnlyList<(double X, double Y)?>>());
        if (Parts.HasFlag(PoseParts.Face))
            HandFaceDrawing.DrawFaces(canvas, people.Select(p => p.Face).OfType<IReadOnlyList<(double X, double Y)?>>());
        return canvas;
    }

    ConditionImage Draw(PoseDocument doc, PoseOptions options)
    {
        int w = options.Width > 0 ? options.Width : doc.CanvasWidth ?? 512;
        int h = options.Height > 0 ? options.Height : doc.CanvasHeight ?? 512;
        ImageLimits.Check(w, h, "The pose canvas");
        bool normalized = options.Coordinates switch
        {
            PoseCoordinates.Normalized => true,
            PoseCoordinates.Pixels => false,
            _ => doc.People.SelectMany(p => p.AllPoints).All(k => k is null || (k.Value.X <= 1 && k.Value.Y <= 1)),
        };
        // Keypoints far off the canvas are damage, and OpenCV would spend minutes on the polygon of a limb of length 1e308.
        foreach (var (person, index) in doc.People.Select((p, i) => (p, i)))
            foreach (var k in person.AllPoints)
                if (k is { } v && !(Math.Abs(normalized ? v.X * w : v.X) <= 4.0 * w && Math.Abs(normalized ? v.Y * h : v.Y) <= 4.0 * h))
                    throw new InvalidDataException($"people[{index}] has a keypoint at ({v.X}, {v.Y}), far outside the {w}×{h} canvas; the pose JSON is damaged or uses another coordinate system.");
        var people = normalized ? doc.People.Select(p => p.Map(v => (v.X * w, v.Y * h))).ToArray() : doc.People;
        OpenCvNative.EnsureLoaded();
        using var canvas = Render(w, h, people, options.Style);
        return Mats.ToImage(canvas);
    }
}
