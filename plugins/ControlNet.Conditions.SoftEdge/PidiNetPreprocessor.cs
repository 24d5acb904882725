using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Conditions.SoftEdge;

/// <summary>
/// PiDiNet soft edges from a photo (v1.1 SoftEdge_PIDI / SoftEdge_PIDI_safe): the photo resized with the reference
/// <c>resize_image</c>, flipped to BGR, /255, into <see cref="PidiNet"/>; its fused map (already a sigmoid), optionally
/// quantised (<see cref="SafeStep"/>), ×255 → white edges on black.
/// </summary>
public sealed class PidiNetPreprocessor(bool safe = false) : Preprocessor<HedOptions>
{
    /// <summary>lllyasviel/Annotators table5_pidinet.pth (size as the Hub lists it, 2.87 MB). Its weights sit under "state_dict" with a "module." prefix.</summary>
    public static ModelFile Weights { get; } = ModelFile.Annotator("table5_pidinet.pth", 2_870_000);

    /// <summary>The reference loader's key rename: <c>k.replace('module.', '')</c> (the file was saved from DataParallel).</summary>
    public static string Rename(string key) => key.Replace("module.", "", StringComparison.Ordinal);

    public override string Id => safe ? "pidinet-safe" : "pidinet";
    public override string Description => safe
        ? "PiDiNet soft edges quantised to a few levels (v1.1 SoftEdge_PIDI_safe); needs table5_pidinet.pth."
        : "PiDiNet soft edges from a photo (v1.1 SoftEdge_PIDI); needs table5_pidinet.pth.";

    public override ConditionImage Run(PreprocessorSource source, HedOptions options, CancellationToken cancellationToken = default)
    {
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        using var net = Load(source, Id);
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        using var edges = Detect(net, resized, safe);
        using var map = Mats.Hwc3(edges);
        return Mats.ToImage(map);
    }

    /// <summary>The network with the user's table5_pidinet.pth loaded (for this and the scribble preprocessor).</summary>
    public static PidiNet Load(PreprocessorSource source, string preprocessor)
    {
        var models = source.RequireModels(preprocessor, Weights);
        var net = new PidiNet();
        try { models.LoadInto(net, Weights, Rename); }
        catch { net.Dispose(); throw; }
        return net;
    }

    /// <summary>Runs the detector on an RGB 8-bit image at its own size: an 8-bit gray edge map of the same size.</summary>
    public static Mat Detect(PidiNet net, Mat rgb, bool safe)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        net.eval();
        var bgr = MatTensors.ToTensor(rgb).flip(1) / 255.0;    // [1, 3, H, W] BGR in [0, 1]
        var edge = net.call(bgr)[^1][0, 0];                   // [H, W] in (0, 1)
        if (safe) edge = SafeStep.Apply(edge);
        return MatTensors.ToGray8(edge);
    }
}
