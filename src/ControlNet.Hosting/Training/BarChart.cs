using System.Globalization;
using OpenCvSharp;

namespace ControlNet.Hosting.Training;

/// <summary>Grouped bars as a PNG (the toy ablation's chart), drawn with OpenCV like <see cref="TrainingCharts"/>, written atomically.</summary>
public static class BarChart
{
    static readonly Scalar[] Palette = [new(160, 160, 160), new(180, 90, 20), new(40, 140, 240), new(60, 160, 60), new(150, 60, 160)];

    /// <param name="groups">x-axis groups, e.g. the prompt settings</param>
    /// <param name="series">one bar per group and series; values in [0, <paramref name="yMax"/>]</param>
    public static void Draw(string path, string title, IReadOnlyList<string> groups, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series, double yMax = 1.0, string yLabel = "")
    {
        const int W = 760, H = 420, L = 60, R = 170, T = 40, B = 50;
        using var img = new Mat(H, W, MatType.CV_8UC3, Scalar.White);
        Cv2.PutText(img, title, new Point(L, 25), HersheyFonts.HersheySimplex, 0.55, Scalar.Black, 1, LineTypes.AntiAlias);
        int Y(double v) => (int)Math.Round(H - B - Math.Clamp(v / yMax, 0, 1) * (H - T - B));
        for (int i = 0; i <= 5; i++)
        {
            double v = yMax * i / 5;
            Cv2.Line(img, new Point(L, Y(v)), new Point(W - R, Y(v)), new Scalar(230, 230, 230));
            Cv2.PutText(img, v.ToString("0.0", CultureInfo.InvariantCulture), new Point(20, Y(v) + 5), HersheyFonts.HersheySimplex, 0.4, Scalar.Black, 1, LineTypes.AntiAlias);
        }
        if (yLabel.Length > 0) Cv2.PutText(img, yLabel, new Point(5, T - 8), HersheyFonts.HersheySimplex, 0.4, Scalar.Black, 1, LineTypes.AntiAlias);
        double groupWidth = (double)(W - L - R) / groups.Count;
        double barWidth = groupWidth * 0.8 / series.Count;
        for (int g = 0; g < groups.Count; g++)
        {
            double x0 = L + g * groupWidth + groupWidth * 0.1;
            for (int s = 0; s < series.Count; s++)
            {
                double v = series[s].Values[g];
                var left = (int)(x0 + s * barWidth);
                Cv2.Rectangle(img, new Point(left, Y(v)), new Point((int)(left + barWidth) - 2, Y(0)), Palette[s % Palette.Length], -1);
                Cv2.PutText(img, v.ToString("0.00", CultureInfo.InvariantCulture), new Point(left, Y(v) - 4), HersheyFonts.HersheySimplex, 0.3, Scalar.Black, 1, LineTypes.AntiAlias);
            }
            Cv2.PutText(img, groups[g], new Point((int)(x0 + groupWidth * 0.2), H - B + 20), HersheyFonts.HersheySimplex, 0.45, Scalar.Black, 1, LineTypes.AntiAlias);
        }
        Cv2.Line(img, new Point(L, Y(0)), new Point(W - R, Y(0)), Scalar.Black);
        for (int s = 0; s < series.Count; s++)
        {
            int y = T + 10 + 22 * s;
            Cv2.Rectangle(img, new Point(W - R + 15, y - 10), new Point(W - R + 30, y + 3), Palette[s % Palette.Length], -1);
            Cv2.PutText(img, series[s].Name, new Point(W - R + 36, y + 2), HersheyFonts.HersheySimplex, 0.45, Scalar.Black, 1, LineTypes.AntiAlias);
        }
        var bytes = img.ImEncode(".png");
        ControlNet.Checkpoints.AtomicFile.Write(path, st => st.Write(bytes));
    }
}
