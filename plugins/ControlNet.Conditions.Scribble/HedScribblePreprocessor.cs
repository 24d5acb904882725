using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using ControlNet.Conditions.SoftEdge;

namespace ControlNet.Conditions.Scribble;

/// <summary>
/// Scribbles from a photo (v1.1 Scribble_HED, v1.0 fake scribble): HED soft edges at the detect resolution, then the
/// <see cref="FakeScribble"/> post-processing (nms, blur, &gt; 4 → 255). Needs ControlNetHED.pth.
/// </summary>
public sealed class HedScribblePreprocessor : Preprocessor<FakeScribbleOptions>
{
    public override string Id => "scribble-hed";
    public override string Description => "Scribble from a photo: HED edges, then NMS, blur, threshold (v1.1 Scribble_HED); needs ControlNetHED.pth.";

    public override ConditionImage Run(PreprocessorSource source, FakeScribbleOptions options, CancellationToken cancellationToken = default)
    {
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        var models = source.RequireModels(Id, HedPreprocessor.Weights);
        using var net = new ControlNetHed();
        models.LoadInto(net, HedPreprocessor.Weights);
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        using var edges = HedPreprocessor.Detect(net, resized, safe: false);
        using var scribble = FakeScribble.FromEdges(edges, options.Threshold, options.Sigma);
        using var map = Mats.Hwc3(scribble);
        return Mats.ToImage(map);
    }
}
