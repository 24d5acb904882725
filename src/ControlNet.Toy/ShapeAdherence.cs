namespace ControlNet.Toy;

/// <summary>
/// Control adherence in the toy world: IoU between the shape mask the condition was drawn from and the shape found in the
/// generated image. The generated background colour is the median of the border pixels; shape pixels are those farther
/// than <see cref="ColorThreshold"/> (Euclidean, 0–255 RGB) from it. Without control the shape lands anywhere (IoU ≈ the
/// chance overlap); with working control it lands on the edges (IoU → 1).
/// </summary>
public static class ShapeAdherence
{
    public const double ColorThreshold = 80;

    /// <summary>Shape mask of a generated RGB image (size·size·3 bytes): true where the pixel is not background.</summary>
    public static bool[] FindShape(byte[] rgb, int size)
    {
        var border = new List<(int, int, int)>();
        for (int i = 0; i < size; i++)
            foreach (var (x, y) in new[] { (i, 0), (i, size - 1), (0, i), (size - 1, i) })
            {
                int p = 3 * (y * size + x);
                border.Add((rgb[p], rgb[p + 1], rgb[p + 2]));
            }
        int Median(Func<(int, int, int), int> channel) => border.Select(channel).Order().ElementAt(border.Count / 2);
        int br = Median(c => c.Item1), bg = Median(c => c.Item2), bb = Median(c => c.Item3);
        var mask = new bool[size * size];
        for (int i = 0; i < mask.Length; i++)
        {
            double dr = rgb[3 * i] - br, dg = rgb[3 * i + 1] - bg, db = rgb[3 * i + 2] - bb;
            mask[i] = Math.Sqrt(dr * dr + dg * dg + db * db) > ColorThreshold;
        }
        return mask;
    }

    /// <summary>IoU of the generated shape and the reference mask (bytes, non-zero = inside).</summary>
    public static double Iou(byte[] generatedRgb, byte[] referenceMask, int size)
    {
        var found = FindShape(generatedRgb, size);
        int intersection = 0, union = 0;
        for (int i = 0; i < found.Length; i++)
        {
            bool r = referenceMask[i] != 0;
            if (r && found[i]) intersection++;
            if (r || found[i]) union++;
        }
        return union == 0 ? 1.0 : (double)intersection / union;
    }
}
