using System.Runtime.InteropServices;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Lineart;

/// <summary>
/// Anime line drawings from a picture (v1.1 Lineart_Anime, CN11 annotator/lineart_anime <c>LineartAnimeDetector</c>): the
/// picture resized with the reference <c>resize_image</c>, then bicubically to sides rounded up to multiples of 256,
/// RGB as <c>v/127.5 − 1</c> into <see cref="AnimeLineartGenerator"/>; the drawing <c>·127.5 + 127.5</c> resized back
/// bicubically, clipped to 0–255 and truncated to 8 bits, then inverted: the reference app feeds <c>1 − drawing/255</c>,
/// so the map here is <c>255 − drawing</c> (white lines on black), as the extension's <c>lineart_anime</c> gives it.
/// </summary>
public sealed class LineartAnimePreprocessor : Preprocessor<LineartOptions>
{
    /// <summary>lllyasviel/Annotators netG.pth (size as the Hub lists it, 218 MB).</summary>
    public static ModelFile Weights { get; } = ModelFile.Annotator("netG.pth", 218_000_000);

    public override string Id => "lineart-anime";
    public override string Description => "Anime line drawing from a picture (v1.1 Lineart_Anime); needs netG.pth.";

    public override ConditionImage Run(PreprocessorSource source, LineartOptions options, CancellationToken cancellationToken = default)
    {
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        var models = source.RequireModels(Id, Weights);
        using var net = new AnimeLineartGenerator();
        models.LoadInto(net, Weights, WithoutDataParallelPrefix);
        using var resized = ReferenceResizer.Apply(rgb, options.DetectResolution);
        using var lines = Detect(net, resized);
        using var map = Mats.Hwc3(lines);
        return Mats.ToImage(map);
    }

    /// <summary>A file saved from <c>nn.DataParallel</c> prefixes every key with <c>module.</c>; the reference loader drops it.</summary>
    public static string WithoutDataParallelPrefix(string key) => key.StartsWith("module.", StringComparison.Ordinal) ? key["module.".Length..] : key;

    /// <summary>Runs the generator on an RGB 8-bit image of any size: white lines on black, 8-bit gray, same size.</summary>
    public static Mat Detect(AnimeLineartGenerator net, Mat rgb)
    {
        int h = rgb.Rows, w = rgb.Cols;
        int hn = RoundUp(h), wn = RoundUp(w);
        using var padded = new Mat();
        Cv2.Resize(rgb, padded, new OpenCvSharp.Size(wn, hn), 0, 0, InterpolationFlags.Cubic); // same size: a copy
        float[] drawing;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            net.eval();
            var x = MatTensors.ToTensor(padded) / 127.5 - 1.0;         // [1, 3, Hn, Wn] RGB in [−1, 1]
            var line = net.call(x)[0, 0] * 127.5 + 127.5;              // [Hn, Wn] dark lines on white, 0–255
            drawing = line.contiguous().data<float>().ToArray();
        }
        using var full = new Mat(hn, wn, MatType.CV_32FC1);
        Marshal.Copy(drawing, 0, full.Data, drawing.Length);
        using var back = new Mat();
        Cv2.Resize(full, back, new OpenCvSharp.Size(w, h), 0, 0, InterpolationFlags.Cubic);
        return ToMap(back);
    }

    /// <summary>The drawing [H, W] float32 (0–255, bicubic overshoot allowed) → <c>255 − uint8(clip(drawing, 0, 255))</c>, truncating.</summary>
    public static Mat ToMap(Mat drawing)
    {
        using var continuous = drawing.IsContinuous() ? null : drawing.Clone();
        var src = continuous ?? drawing;
        var values = new float[src.Rows * src.Cols];
        Marshal.Copy(src.Data, values, 0, values.Length);
        var bytes = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
            bytes[i] = (byte)(255 - (int)Math.Clamp(values[i], 0f, 255f)); // astype(uint8) truncates; then the inversion
        var map = new Mat(src.Rows, src.Cols, MatType.CV_8UC1);
        Marshal.Copy(bytes, 0, map.Data, bytes.Length);
        return map;
    }

    /// <summary>The side rounded up to a multiple of 256, as the reference's <c>256 · ceil(side / 256)</c>.</summary>
    public static int RoundUp(int side) => AnimeLineartGenerator.SideMultiple * (int)Math.Ceiling(side / (double)AnimeLineartGenerator.SideMultiple);
}
