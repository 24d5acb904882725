using System.ComponentModel;
using ControlNet.Abstractions;

namespace ControlNet.Conditions.Depth;

/// <summary>Options of the normal-from-depth-image preprocessor.</summary>
public sealed record NormalImageOptions(
    [Description("Pixels whose normalised depth is below this get a flat normal (the v1.0 app uses 0.4; the function default is 0.1).")] double BgThreshold = 0.4,
    [Description("Multiplies the depth (in 8-bit units) before the Sobel gradients; the reference applies them to raw MiDaS output, whose scale is not that of an image.")] double DepthScale = 1.0,
    [Description("Short side the depth image is resized to (v1.0 app 384).")] int DetectResolution = 384);

/// <summary>
/// The v1.0 normal map (<see cref="DepthToNormal"/>) from a depth image you already have (<see cref="MidasNormalPreprocessor"/>
/// estimates the depth from a photo instead). The image's 8-bit units stand in for MiDaS's raw depth, scaled by DepthScale.
/// </summary>
public sealed class NormalImagePreprocessor : Preprocessor<NormalImageOptions>
{
    public override string Id => "normal-image";
    public override string Description => "Normal map from a depth image you already have (Sobel, background threshold), in the channel order control_sd15_normal was fed.";
    public override PreprocessorInput Input => PreprocessorInput.StoredImage;

    public override ConditionImage Run(PreprocessorSource source, NormalImageOptions options, CancellationToken cancellationToken = default)
    {
        using var depth0 = DepthImage.ReadResized(source.RequireImage(Id), options.DetectResolution);
        using var depth = depth0 * options.DepthScale;
        using var d = depth.ToMat();
        return DepthToNormal.Compute(d, options.BgThreshold);
    }
}
