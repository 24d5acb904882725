using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Lineart;

/// <summary>
/// Line drawings from a photo (v1.1 Lineart / Lineart_Coarse): the photo resized with the reference <c>resize_image</c>,
/// RGB / 255 into <see cref="LineartGenerator"/>, the drawing ×255 → uint8, then inverted. The reference app feeds
/// <c>1 − drawing/255</c> as the control; the map here is <c>255 − drawing</c> (white lines on black), so that the host's
/// <c>map/255</c> gives the same control.
/// </summary>
public sealed class LineartPreprocessor(bool coarse = false) : Preprocessor<LineartOptions>
{
    /// <summary>lllyasviel/Annotators sk_model.pth (realistic; size as the Hub lists it, 17.2 MB).</summary>
    public static ModelFile Realistic { get; } = ModelFile.Annotator("sk_model.pth", 17_200_000);
    /// <summary>lllyasviel/Annotators sk_model2.pth (coarse; size as the Hub lists it, 17.2 MB).</summary>
    public static ModelFile Coarse { get; } = ModelFile.Annotator("sk_model2.pth", 17_200_000);

    public ModelFile Weights => coarse ? Coarse : Realistic;
    public override string Id => coarse ? "lineart-coarse" : "lineart";
    public override string Description => coarse
        ? "Coarse line drawing from a photo (v1.1 Lineart_Coarse); needs sk_model2.pth."
        : "Realistic line drawing from a photo (v1.1 Lineart); needs sk_model.pth.";

    public override ConditionImage Run(PreprocessorSource source, LineartOptions options, CancellationToken cancellationToken = default)
    {
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        var models = source.RequireModels(Id, Weights);
        using var net = new LineartGenerator();
        models.LoadInto(net, Weights);
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        using var lines = Detect(net, resized);
        using var map = Mats.Hwc3(lines);
        return Mats.ToImage(map);
    }

    /// <summary>Runs the generator on an RGB 8-bit image: white lines on black, 8-bit gray, same size.</summary>
    public static Mat Detect(LineartGenerator net, Mat rgb)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        net.eval();
        var x = MatTensors.ToTensor(rgb) / 255.0;       // [1, 3, H, W] RGB in [0, 1]
        var drawing = net.call(x)[0, 0];                 // [H, W] dark lines on white
        return ToMap(drawing);
    }

    /// <summary>The drawing [H, W] in [0, 1] → <c>255 − uint8(drawing · 255)</c>.</summary>
    public static Mat ToMap(Tensor drawing)
    {
        using var gray = MatTensors.ToGray8(drawing);
        var inverted = new Mat();
        Cv2.BitwiseNot(gray, inverted); // 255 − v on uint8
        return inverted;
    }
}
