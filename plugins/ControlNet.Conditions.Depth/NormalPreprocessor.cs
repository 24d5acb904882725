using System.ComponentModel;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;

namespace ControlNet.Conditions.Depth;

/// <summary>Options of the normal-from-depth preprocessor.</summary>
public sealed record NormalOptions(
    [Description("Pixels whose normalised depth is below this get a flat normal (the v1.0 app uses 0.4; the function default is 0.1).")] double BgThreshold = 0.4,
    [Description("Multiplies the depth (in 8-bit units) before the Sobel gradients; the reference applies them to raw MiDaS output, whose scale is not that of an image.")] double DepthScale = 1.0,
    [Description("Short side the depth image is resized to (v1.0 app 384).")] int DetectResolution = 384);

/// <summary>
/// The v1.0 normal map from depth (CN annotator/midas/__init__.py, REFERENCE §9): Sobel x/y (ksize 3) on the depth,
/// z = 2π, x = y = 0 where normalised depth &lt; bg threshold, unit length, ·127.5 + 127.5 → uint8, and the channels
/// reversed as the app feeds them: the written map is (z, y, x) in R, G, B.
/// </summary>
public sealed class NormalPreprocessor : Preprocessor<NormalOptions>
{
    public override string Id => "normal";
    public override string Description => "Normal map from a depth image (Sobel, background threshold), in the channel order control_sd15_normal was fed.";
    public override PreprocessorInput Input => PreprocessorInput.StoredImage;

    public override ConditionImage Run(PreprocessorSource source, NormalOptions options, CancellationToken cancellationToken = default)
    {
        using var depth0 = DepthImage.ReadResized(source.RequireImage(Id), options.DetectResolution);
        using var depth = depth0 * options.DepthScale;
        using var d = depth.ToMat();
        using var unit = DepthImage.Normalized(d);
        using var gx = new Mat();
        using var gy = new Mat();
        Cv2.Sobel(d, gx, MatType.CV_32F, 1, 0, ksize: 3);
        Cv2.Sobel(d, gy, MatType.CV_32F, 0, 1, ksize: 3);
        unit.GetArray(out float[] u);
        gx.GetArray(out float[] x);
        gy.GetArray(out float[] y);
        float z = (float)(Math.PI * 2.0);
        var rgb = new byte[u.Length * 3];
        for (int i = 0; i < u.Length; i++)
        {
            float nx = u[i] < options.BgThreshold ? 0 : x[i], ny = u[i] < options.BgThreshold ? 0 : y[i];
            float len = MathF.Sqrt(nx * nx + ny * ny + z * z);
            // (n · 127.5 + 127.5).clip(0, 255).astype(uint8), written reversed: R = z, G = y, B = x.
            rgb[3 * i + 0] = ToByte(z / len);
            rgb[3 * i + 1] = ToByte(ny / len);
            rgb[3 * i + 2] = ToByte(nx / len);
        }
        return ConditionImage.Rgb(d.Cols, d.Rows, rgb);
    }

    static byte ToByte(float n) => (byte)Math.Clamp(n * 127.5f + 127.5f, 0f, 255f);
}
