using System.ComponentModel;
using ControlNet.Abstractions;

namespace ControlNet.Conditions.Depth;

/// <summary>Options of the MiDaS depth preprocessor.</summary>
public sealed record MidasDepthOptions(
    [Description("Short side the photo is resized to before estimation (reference resize_image, sides rounded to multiples of 64; v1.1 and A1111 512, v1.0 app 384).")] int DetectResolution = 512);

/// <summary>
/// Depth from a photo with MiDaS DPT-Hybrid (ControlNet's Depth_Midas, A1111 <c>depth_midas</c>; needs dpt_hybrid-midas-501f0c75.pt):
/// <see cref="MidasDepthEstimator"/> at the detect resolution, min–max normalised to 0–255, gray-as-RGB, near = bright.
/// </summary>
public sealed class MidasDepthPreprocessor : Preprocessor<MidasDepthOptions>
{
    public override string Id => "depth";
    public override string Description => "Depth estimated from a photo by MiDaS DPT-Hybrid (near = bright); needs dpt_hybrid-midas-501f0c75.pt. For a depth image you already have, use depth-image.";

    public override ConditionImage Run(PreprocessorSource source, MidasDepthOptions options, CancellationToken cancellationToken = default)
    {
        var photo = source.RequireImage(Id);
        using var net = MidasDepthEstimator.Load(source, Id);
        using var depth = MidasDepthEstimator.EstimateAt(net, photo, options.DetectResolution);
        return MidasDepthEstimator.ToDepthMap(depth);
    }
}
