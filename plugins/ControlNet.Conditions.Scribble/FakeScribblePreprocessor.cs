using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;

namespace ControlNet.Conditions.Scribble;

/// <summary>
/// Fake scribble from a soft-edge map (the HED/PiDiNet output, white on black). The neural edge estimators are a
/// separate step: pass an edge map (e.g. the output of "hed"), or use "scribble-hed" to start from a photo.
/// </summary>
public sealed class FakeScribblePreprocessor : Preprocessor<FakeScribbleOptions>
{
    public override string Id => "fake-scribble";
    public override string Description => "Fake scribble from a soft-edge (HED-like) map: NMS, blur, threshold (REFERENCE §9).";

    public override ConditionImage Run(PreprocessorSource source, FakeScribbleOptions options, CancellationToken cancellationToken = default)
    {
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        using var map = FakeScribble.FromEdges(resized, options.Threshold, options.Sigma);
        return Mats.ToImage(map);
    }
}
