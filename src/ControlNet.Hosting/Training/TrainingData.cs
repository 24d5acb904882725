using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;
using ControlNet.Hosting.Plugins;
using ControlNet.Training;
using OpenCvSharp;

namespace ControlNet.Hosting.Training;

/// <summary>Training datasets from disk, and condition maps made on the fly by a plug-in preprocessor.</summary>
public static class TrainingData
{
    /// <summary>
    /// Reads <paramref name="folder"/> in <paramref name="layout"/>: "fill50k" (prompt.json + source/ + target/; the
    /// default when prompt.json exists) or "folder" (images/, captions/, conditions/). Bad input is an ArgumentException.
    /// </summary>
    public static TrainingSet Read(string folder, string? layout = null, Func<ConditionImage, ConditionImage>? makeCondition = null, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder)) throw new ArgumentException($"Dataset folder '{folder}' does not exist.");
        layout ??= File.Exists(Path.Combine(folder, "prompt.json")) ? "fill50k" : "folder";
        return layout.ToLowerInvariant() switch
        {
            "fill50k" => TrainingSet.ReadFill50k(folder, ImageFile.LoadStored, makeCondition, limit),
            "folder" => TrainingSet.ReadFolder(folder, ImageFile.LoadStored, makeCondition, limit),
            _ => throw new ArgumentException($"Dataset layout '{layout}' is unknown; use fill50k or folder."),
        };
    }

    /// <summary>
    /// The preprocessor <paramref name="id"/> (a preprocessor id, or a plug-in id meaning its first) as a condition
    /// maker; maps come back at the target's size (resized with area averaging).
    /// </summary>
    public static Func<ConditionImage, ConditionImage> ConditionMaker(PluginCatalog catalog, string id, IReadOnlyDictionary<string, string>? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        IPreprocessor preprocessor;
        try { preprocessor = catalog.FindPreprocessor(id).Preprocessor; }
        catch (KeyNotFoundException e) { throw new ArgumentException(e.Message); }
        var fixedOptions = options ?? new Dictionary<string, string>();
        return target =>
        {
            var map = PreprocessorGuard.Run(preprocessor, PreprocessorSource.From(target), fixedOptions);
            return map.Width == target.Width && map.Height == target.Height ? map : ResizeArea(map, target.Width, target.Height);
        };
    }

    static ConditionImage ResizeArea(ConditionImage map, int width, int height)
    {
        var m8 = map.Depth == SampleDepth.Eight ? map : map.ToRgb8();
        using var mat = Mat.FromPixelData(m8.Height, m8.Width, MatType.CV_8UC(m8.Channels), m8.Data!);
        using var resized = new Mat();
        Cv2.Resize(mat, resized, new Size(width, height), interpolation: InterpolationFlags.Area);
        var bytes = new byte[width * height * m8.Channels];
        System.Runtime.InteropServices.Marshal.Copy(resized.Data, bytes, 0, bytes.Length);
        return ConditionImage.Create8(width, height, m8.Channels, bytes);
    }
}
