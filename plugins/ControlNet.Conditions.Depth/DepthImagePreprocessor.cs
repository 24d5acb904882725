using System.ComponentModel;
using ControlNet.Abstractions;
using OpenCvSharp;

namespace ControlNet.Conditions.Depth;

/// <summary>Options of the depth-image preprocessor.</summary>
public sealed record DepthImageOptions(
    [Description("Short side the depth image is resized to (reference resize_image; v1.1 app 512, v1.0 384).")] int DetectResolution = 512,
    [Description("Min–max normalise to 0–255 as the reference does with MiDaS output.")] bool Normalize = true,
    [Description("Invert first: for depth images where far is bright (the control wants near = bright).")] bool Invert = false);

/// <summary>
/// A ready depth map given as an image (no estimation; <see cref="MidasDepthPreprocessor"/> estimates one from a photo): resized,
/// optionally inverted, min–max normalised and written as <c>uint8(depth·255)</c> gray-as-RGB (near = bright).
/// </summary>
public sealed class DepthImagePreprocessor : Preprocessor<DepthImageOptions>
{
    public override string Id => "depth-image";
    public override string Description => "A depth image you already have (8/16-bit, near = bright) normalised to a 0–255 map; no estimation.";
    public override PreprocessorInput Input => PreprocessorInput.StoredImage;

    public override ConditionImage Run(PreprocessorSource source, DepthImageOptions options, CancellationToken cancellationToken = default)
    {
        using var depth = DepthImage.ReadResized(source.RequireImage(Id), options.DetectResolution);
        if (options.Invert) Cv2.Subtract(new Scalar(255), depth, depth);
        using var unit = options.Normalize ? DepthImage.Normalized(depth) : DepthImage.ToUnitRange(depth);
        return DepthImage.ToGrayRgb(unit);
    }
}
