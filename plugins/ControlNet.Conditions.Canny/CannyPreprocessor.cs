using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;

namespace ControlNet.Conditions.Canny;

/// <summary>v1.1 gradio_canny: <c>Canny(resize_image(HWC3(img), detect_resolution), low, high)</c>, returned as a 3-channel map.</summary>
public sealed class CannyPreprocessor : Preprocessor<CannyOptions>
{
    public override string Id => "canny";
    public override string Description => "Canny edges (white on black) at the detect resolution.";

    public override ConditionImage Run(PreprocessorSource source, CannyOptions options, CancellationToken cancellationToken = default)
    {
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        using var edges = CannyEdges.Detect(resized, options.Low, options.High);
        using var map = Mats.Hwc3(edges);
        return Mats.ToImage(map);
    }
}
