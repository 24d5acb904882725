using System.Runtime.InteropServices;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// MiDaS depth on a photo as ControlNet's annotator runs it (CN annotator/midas/__init__.py <c>MidasDetector</c>): the RGB image,
/// already at the detect resolution (reference <c>resize_image</c>, sides multiples of 64), fed as <c>x/127.5 − 1</c> straight into
/// <see cref="MidasDptHybrid"/> (the 384 "minimal" resize transform MiDaS defines is built but not used there). The raw output,
/// relative inverse depth at the image's size, is what both the depth map (min–max) and the normal map (Sobel) are made from.
/// </summary>
public static class MidasDepthEstimator
{
    /// <summary>lllyasviel/Annotators dpt_hybrid-midas-501f0c75.pt (size as the Hub lists it, 493 MB): a torch.save'd state dict.</summary>
    public static ModelFile Weights { get; } = ModelFile.Annotator("dpt_hybrid-midas-501f0c75.pt", 493_000_000);

    /// <summary>The network with the user's dpt_hybrid-midas-501f0c75.pt loaded (strict names and shapes).</summary>
    public static MidasDptHybrid Load(PreprocessorSource source, string preprocessor)
    {
        var models = source.RequireModels(preprocessor, Weights);
        var net = new MidasDptHybrid();
        try { models.LoadInto(net, Weights); }
        catch { net.Dispose(); throw; }
        return net;
    }

    /// <summary>The photo resized by the reference rule, then <see cref="Estimate"/>: raw depth at the resized size.</summary>
    public static Mat EstimateAt(MidasDptHybrid net, ConditionImage photo, int detectResolution)
    {
        using var rgb = Mats.FromImage(photo.ToRgb8());
        using var resized = ReferenceResizer.Apply(rgb, detectResolution);
        return Estimate(net, resized);
    }

    /// <summary>Raw relative inverse depth (float32, one channel, near = large) of an RGB 8-bit image whose sides are multiples of 32.</summary>
    public static Mat Estimate(MidasDptHybrid net, Mat rgb)
    {
        float[] values;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            net.eval();
            var x = MatTensors.ToTensor(rgb) / 127.5 - 1.0;            // [1, 3, H, W] RGB in [−1, 1]
            var depth = net.call(x)[0].contiguous();                  // [H, W]
            values = depth.data<float>().ToArray();
        }
        var mat = new Mat(rgb.Rows, rgb.Cols, MatType.CV_32FC1);
        Marshal.Copy(values, 0, mat.Data, values.Length);
        return mat;
    }

    /// <summary>The depth map: <c>(depth − min) / max(depth − min) · 255</c> truncated to 8 bits, gray-as-RGB (near = bright).</summary>
    public static ConditionImage ToDepthMap(Mat rawDepth)
    {
        using var unit = DepthImage.Normalized(rawDepth);
        return DepthImage.ToGrayRgb(unit);
    }
}
