using System.ComponentModel;
using ControlNet.Abstractions;

namespace ControlNet.Conditions.Depth;

/// <summary>Options of the MiDaS normal-map preprocessor.</summary>
public sealed record MidasNormalOptions(
    [Description("Pixels whose normalised depth is below this get a flat normal (the v1.0 app and A1111 use 0.4; the function default is 0.1).")] double BgThreshold = 0.4,
    [Description("Short side the photo is resized to before estimation (v1.0 app 384).")] int DetectResolution = 384);

/// <summary>
/// ControlNet 1.0's normal map from a photo (A1111 <c>normal_midas</c>; needs dpt_hybrid-midas-501f0c75.pt): MiDaS raw depth
/// (<see cref="MidasDepthEstimator"/>), then <see cref="DepthToNormal"/> on it, written in the channel order the model was fed.
/// </summary>
public sealed class MidasNormalPreprocessor : Preprocessor<MidasNormalOptions>
{
    public override string Id => "normal";
    public override string Description => "Normal map from a photo via MiDaS depth (Sobel, background threshold), as control_sd15_normal was fed; needs dpt_hybrid-midas-501f0c75.pt. For a depth image you already have, use normal-image.";

    public override ConditionImage Run(PreprocessorSource source, MidasNormalOptions options, CancellationToken cancellationToken = default)
    {
        var photo = source.RequireImage(Id);
        using var net = MidasDepthEstimator.Load(source, Id);
        using var depth = MidasDepthEstimator.EstimateAt(net, photo, options.DetectResolution);
        return DepthToNormal.Compute(depth, options.BgThreshold);
    }
}
