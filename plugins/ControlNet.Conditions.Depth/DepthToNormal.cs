using ControlNet.Abstractions;
using OpenCvSharp;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// ControlNet 1.0's normal map from depth (CN annotator/midas/__init__.py, REFERENCE §9): on the raw depth, x = Sobel dx and
/// y = Sobel dy (ksize 3, float32), z = 2π; x = y = 0 where the min–max normalised depth is below the background threshold;
/// the vector scaled to unit length, <c>n·127.5 + 127.5</c> truncated to 8 bits. The v1.0 app feeds the channels reversed
/// (<c>[:, :, ::-1]</c>), so the map written here is (z, y, x) in R, G, B: what control_sd15_normal was trained on.
/// </summary>
public static class DepthToNormal
{
    /// <summary>z of the unnormalised normal; with the Sobel gradients this sets how steep a slope must be to tilt the normal.</summary>
    public const float Z = (float)(Math.PI * 2.0);

    /// <param name="depth">float32 one-channel depth, near = large, in the estimator's own units</param>
    /// <param name="backgroundThreshold">normalised depth below which a pixel is background (flat normal); the v1.0 app uses 0.4</param>
    public static ConditionImage Compute(Mat depth, double backgroundThreshold)
    {
        if (depth.Type() != MatType.CV_32FC1) throw new ArgumentException($"Expected a float32 one-channel depth, got {depth.Type()}.");
        using var unit = DepthImage.Normalized(depth);
        using var gx = new Mat();
        using var gy = new Mat();
        Cv2.Sobel(depth, gx, MatType.CV_32F, 1, 0, ksize: 3);
        Cv2.Sobel(depth, gy, MatType.CV_32F, 0, 1, ksize: 3);
        unit.GetArray(out float[] u);
        gx.GetArray(out float[] x);
        gy.GetArray(out float[] y);
        var rgb = new byte[u.Length * 3];
        for (int i = 0; i < u.Length; i++)
        {
            bool background = u[i] < backgroundThreshold;
            float nx = background ? 0 : x[i], ny = background ? 0 : y[i];
            float len = MathF.Sqrt(nx * nx + ny * ny + Z * Z);
            // (n · 127.5 + 127.5).clip(0, 255).astype(uint8), written reversed: R = z, G = y, B = x.
            rgb[3 * i + 0] = ToByte(Z / len);
            rgb[3 * i + 1] = ToByte(ny / len);
            rgb[3 * i + 2] = ToByte(nx / len);
        }
        return ConditionImage.Rgb(depth.Cols, depth.Rows, rgb);
    }

    static byte ToByte(float n) => (byte)Math.Clamp(n * 127.5f + 127.5f, 0f, 255f);
}
