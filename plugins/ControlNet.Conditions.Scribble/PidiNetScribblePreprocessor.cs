using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using ControlNet.Conditions.SoftEdge;

namespace ControlNet.Conditions.Scribble;

/// <summary>
/// Scribbles from a photo with PiDiNet (v1.1 Scribble_PIDI): PiDiNet soft edges at the detect resolution, then the
/// <see cref="FakeScribble"/> post-processing (nms, blur, &gt; 4 → 255). Needs table5_pidinet.pth.
/// </summary>
public sealed class PidiNetScribblePreprocessor : Preprocessor<FakeScribbleOptions>
{
    public override string Id => "scribble-pidinet";
    public override string Description => "Scribble from a photo: PiDiNet edges, then NMS, blur, threshold (v1.1 Scribble_PIDI); needs table5_pidinet.pth.";

    public override ConditionImage Run(PreprocessorSource source, FakeScribbleOptions options, CancellationToken cancellationToken = default)
    {
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        using var net = PidiNetPreprocessor.Load(source, Id);
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        using var edges = PidiNetPreprocessor.Detect(net, resized, safe: false);
        using var scribble = FakeScribble.FromEdges(edges, options.Threshold, options.Sigma);
        using var map = Mats.Hwc3(scribble);
        return Mats.ToImage(map);
    }
}
