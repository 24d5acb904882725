using System.ComponentModel;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;

namespace ControlNet.Conditions.Shuffle;

/// <summary>Options of the shuffle preprocessor.</summary>
public sealed record ShuffleOptions(
    [Description("Short side the image is resized to first (reference resize_image).")] int DetectResolution = 512,
    [Description("Size in pixels of the random flow's cells (the reference's f).")] int CellSize = 256,
    [Description("Random seed; empty = a new random shuffle each run. The sequence differs from numpy's, so maps match the reference in kind, not in pixels.")] int? Seed = null);

/// <summary>
/// CN11 ContentShuffleDetector: two smooth random fields (uniform noise on a (H/f+2)×(W/f+2) grid, bicubic-enlarged,
/// cropped, min–max normalised) scaled to W−1 and H−1 form a flow; the image is remapped through it (bilinear).
/// </summary>
public sealed class ShufflePreprocessor : Preprocessor<ShuffleOptions>
{
    public override string Id => "shuffle";
    public override string Description => "Content shuffle: the image remapped through a smooth random flow.";

    public override ConditionImage Run(PreprocessorSource source, ShuffleOptions options, CancellationToken cancellationToken = default)
    {
        if (options.CellSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.CellSize, "cell-size must be at least 1.");
        using var rgb = Mats.FromImage(source.RequireImage(Id).ToRgb8());
        using var img = ReferenceResizer.Apply(rgb, options.DetectResolution);
        var random = options.Seed is { } s ? new Random(s) : new Random();
        int h = img.Rows, w = img.Cols;
        using var x = NoiseDisk(h, w, options.CellSize, random);
        using var y = NoiseDisk(h, w, options.CellSize, random);
        using var mapX = new Mat();
        using var mapY = new Mat();
        x.ConvertTo(mapX, MatType.CV_32FC1, w - 1);
        y.ConvertTo(mapY, MatType.CV_32FC1, h - 1);
        using var shuffled = new Mat();
        Cv2.Remap(img, shuffled, mapX, mapY, InterpolationFlags.Linear);
        return Mats.ToImage(shuffled);
    }

    /// <summary>make_noise_disk(H, W, 1, F): values in [0, 1].</summary>
    static Mat NoiseDisk(int h, int w, int f, Random random)
    {
        int gh = h / f + 2, gw = w / f + 2;
        var noise = new double[gh * gw];
        for (int i = 0; i < noise.Length; i++) noise[i] = random.NextDouble();
        using var grid = Mat.FromPixelData(gh, gw, MatType.CV_64FC1, noise);
        using var big = new Mat();
        Cv2.Resize(grid, big, new Size(w + 2 * f, h + 2 * f), 0, 0, InterpolationFlags.Cubic);
        using var crop = new Mat(big, new Rect(f, f, w, h));
        Cv2.MinMaxLoc(crop, out double min, out double max);
        var result = new Mat();
        crop.ConvertTo(result, MatType.CV_64FC1, max > min ? 1.0 / (max - min) : 0, max > min ? -min / (max - min) : 0);
        return result;
    }
}
