using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Conditions.SoftEdge;

/// <summary>
/// HED soft edges from a photo (v1.1 SoftEdge_HED / SoftEdge_HED_safe, v1.0 HED): the photo is resized with the reference
/// <c>resize_image</c>, fed as RGB 0–255 to <see cref="ControlNetHed"/>, the side outputs fused (<see cref="ControlNetHed.Fuse"/>),
/// optionally quantised (<see cref="SafeStep"/>), ×255 → white edges on black.
/// </summary>
public sealed class HedPreprocessor(bool safe = false) : Preprocessor<HedOptions>
{
    /// <summary>The public weights: lllyasviel/Annotators ControlNetHED.pth (size as the Hub lists it, 29.4 MB).</summary>
    public static ModelFile Weights { get; } = ModelFile.Annotator("ControlNetHED.pth", 29_400_000);

    public override string Id => safe ? "hed-safe" : "hed";
    public override string Description => safe
        ? "HED soft edges quantised to a few levels (v1.1 SoftEdge_HED_safe); needs ControlNetHED.pth."
        : "HED soft edges from a photo (ControlNetHED, v1.1 SoftEdge_HED); needs ControlNetHED.pth.";

    public override ConditionImage Run(PreprocessorSource source, HedOptions options, CancellationToken cancellationToken = default)
    {
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        var models = source.RequireModels(Id, Weights);
        using var net = new ControlNetHed();
        models.LoadInto(net, Weights);
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        using var edges = Detect(net, resized, safe);
        using var map = Mats.Hwc3(edges);
        return Mats.ToImage(map);
    }

    /// <summary>Runs the detector on an RGB 8-bit image at its own size: an 8-bit gray edge map of the same size.</summary>
    public static Mat Detect(ControlNetHed net, Mat rgb, bool safe)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        net.eval();
        var x = MatTensors.ToTensor(rgb);               // [1, 3, H, W] RGB 0–255
        var sides = net.call(x);                         // 5 × [1, 1, H/2^k, W/2^k]
        var edge = ControlNetHed.Fuse(sides, rgb.Rows, rgb.Cols); // [H, W] float64 in (0, 1)
        if (safe) edge = SafeStep.Apply(edge);
        return MatTensors.ToGray8(edge);
    }
}
