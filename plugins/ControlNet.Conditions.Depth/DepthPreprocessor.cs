using System.ComponentModel;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;

namespace ControlNet.Conditions.Depth;

/// <summary>Options of the depth preprocessor.</summary>
public sealed record DepthOptions(
    [Description("Short side the depth image is resized to (reference resize_image; v1.1 app 512, v1.0 384).")] int DetectResolution = 512,
    [Description("Min–max normalise to 0–255 as the reference does with MiDaS output.")] bool Normalize = true,
    [Description("Invert first: for depth images where far is bright (the control wants near = bright).")] bool Invert = false);

/// <summary>
/// A depth map given as an image (the MiDaS/Zoe estimators are a separate issue): resized, optionally inverted,
/// min–max normalised and written as <c>uint8(depth·255)</c> gray-as-RGB (near = bright).
/// </summary>
public sealed class DepthPreprocessor : Preprocessor<DepthOptions>
{
    public override string Id => "depth";
    public override string Description => "Depth image (8/16-bit, near = bright) normalised to a 0–255 map.";
    public override PreprocessorInput Input => PreprocessorInput.StoredImage;

    public override ConditionImage Run(PreprocessorSource source, DepthOptions options, CancellationToken cancellationToken = default)
    {
        using var depth = DepthImage.ReadResized(source.RequireImage(Id), options.DetectResolution);
        if (options.Invert) Cv2.Subtract(new Scalar(255), depth, depth);
        using var unit = options.Normalize ? DepthImage.Normalized(depth) : depth.ToUnitRange();
        unit.GetArray(out float[] v);
        var rgb = new byte[v.Length * 3];
        for (int i = 0; i < v.Length; i++)
        {
            // (depth_pt * 255).clip(0, 255).astype(uint8): truncation, not rounding.
            byte b = (byte)Math.Clamp(v[i] * 255f, 0f, 255f);
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = b;
        }
        return ConditionImage.Rgb(unit.Cols, unit.Rows, rgb);
    }
}

static class DepthMatExtensions
{
    public static Mat ToUnitRange(this Mat depth8)
    {
        var m = new Mat();
        depth8.ConvertTo(m, MatType.CV_32FC1, 1.0 / 255.0);
        return m;
    }
}
