namespace Company.Plugin;

/// <summary>Sobel gradient magnitude of an RGB image: pure C#, no native library.</summary>
public static class SobelEdges
{
    /// <summary>
    /// Edge strength per pixel, one byte each (H·W): luma (BT.601) → 3×3 Sobel in x and y with replicated borders →
    /// √(gx² + gy²) / 4 · scale, clamped to 255. Dividing by 4 makes a full black-to-white step exactly 255.
    /// Strengths below <paramref name="threshold"/> become 0; with <paramref name="binary"/> the rest become 255.
    /// </summary>
    public static byte[] Detect(byte[] rgb, int width, int height, int threshold, double scale, bool binary, CancellationToken cancellationToken = default)
    {
        if (rgb.Length != width * height * 3)
            throw new ArgumentException($"RGB buffer has {rgb.Length} bytes; {width}×{height}×3 needs {width * height * 3}.", nameof(rgb));

        var luma = new float[width * height];
        for (int p = 0; p < luma.Length; p++)
            luma[p] = 0.299f * rgb[p * 3] + 0.587f * rgb[p * 3 + 1] + 0.114f * rgb[p * 3 + 2];

        var edges = new byte[width * height];
        for (int y = 0; y < height; y++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int ym = Math.Max(y - 1, 0), yp = Math.Min(y + 1, height - 1);
            for (int x = 0; x < width; x++)
            {
                int xm = Math.Max(x - 1, 0), xp = Math.Min(x + 1, width - 1);
                float L(int xx, int yy) => luma[yy * width + xx];
                float gx = L(xp, ym) + 2 * L(xp, y) + L(xp, yp) - L(xm, ym) - 2 * L(xm, y) - L(xm, yp);
                float gy = L(xm, yp) + 2 * L(x, yp) + L(xp, yp) - L(xm, ym) - 2 * L(x, ym) - L(xp, ym);
                double strength = Math.Min(255.0, Math.Sqrt(gx * gx + gy * gy) / 4.0 * scale);
                int v = (int)Math.Round(strength);
                edges[y * width + x] = v < threshold || v == 0 ? (byte)0 : binary ? (byte)255 : (byte)v;
            }
        }
        return edges;
    }
}
