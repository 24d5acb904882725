using System.Globalization;
using ControlNet.Training;
using OpenCvSharp;

namespace ControlNet.Hosting.Training;

/// <summary>Training curves as PNG charts: any log column against steps (<c>controlnet train-chart</c>), and the loss chart the train commands redraw at every sample step.</summary>
public static class TrainingCharts
{
    /// <summary>Draws (x, y) points as a 640×400 PNG, atomically. Smoothing draws the moving average in a darker colour on top.</summary>
    public static void Draw(IReadOnlyList<(double X, double Y)> points, string path, string title, int smooth = 0, bool logY = false)
    {
        const int W = 640, H = 400, L = 70, R = 20, T = 40, B = 50;
        using var img = new Mat(H, W, MatType.CV_8UC3, Scalar.White);
        var pts = points.Where(p => double.IsFinite(p.Y) && (!logY || p.Y > 0)).Select(p => (p.X, Y: logY ? Math.Log10(p.Y) : p.Y)).ToList();
        Cv2.PutText(img, title, new Point(L, 25), HersheyFonts.HersheySimplex, 0.6, Scalar.Black, 1, LineTypes.AntiAlias);
        Cv2.Rectangle(img, new Point(L, T), new Point(W - R, H - B), Scalar.Black);
        if (pts.Count > 0)
        {
            double x0 = pts.Min(p => p.X), x1 = Math.Max(pts.Max(p => p.X), x0 + 1);
            double y0 = pts.Min(p => p.Y), y1 = pts.Max(p => p.Y);
            if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
            Point Map(double x, double y) => new(L + (x - x0) / (x1 - x0) * (W - L - R), H - B - (y - y0) / (y1 - y0) * (H - T - B));
            for (int i = 0; i <= 4; i++)
            {
                double yv = y0 + (y1 - y0) * i / 4, xv = x0 + (x1 - x0) * i / 4;
                var label = (logY ? Math.Pow(10, yv) : yv).ToString("G3", CultureInfo.InvariantCulture);
                var yp = Map(x0, yv).Y;
                Cv2.Line(img, new Point(L, yp), new Point(W - R, yp), new Scalar(230, 230, 230));
                Cv2.PutText(img, label, new Point(5, yp + 5), HersheyFonts.HersheySimplex, 0.4, Scalar.Black, 1, LineTypes.AntiAlias);
                var xp = Map(xv, y0).X;
                Cv2.PutText(img, xv.ToString("0", CultureInfo.InvariantCulture), new Point(xp - 15, H - B + 18), HersheyFonts.HersheySimplex, 0.4, Scalar.Black, 1, LineTypes.AntiAlias);
            }
            Cv2.PutText(img, "step", new Point(W / 2 - 15, H - 12), HersheyFonts.HersheySimplex, 0.45, Scalar.Black, 1, LineTypes.AntiAlias);
            var raw = pts.Select(p => Map(p.X, p.Y)).ToArray();
            bool smoothing = smooth > 1 && pts.Count > smooth;
            Cv2.Polylines(img, [raw], false, smoothing ? new Scalar(235, 190, 150) : new Scalar(180, 90, 20), 1, LineTypes.AntiAlias);
            if (pts.Count == 1 || pts.Count < 40) foreach (var p in raw) Cv2.Circle(img, p, 3, new Scalar(180, 90, 20), -1, LineTypes.AntiAlias);
            if (smoothing)
            {
                var avg = new List<Point>();
                double sum = 0;
                for (int i = 0; i < pts.Count; i++)
                {
                    sum += pts[i].Y;
                    if (i >= smooth) sum -= pts[i - smooth].Y;
                    if (i >= smooth - 1) avg.Add(Map(pts[i].X, sum / smooth));
                }
                Cv2.Polylines(img, [avg.ToArray()], false, new Scalar(160, 60, 10), 2, LineTypes.AntiAlias);
            }
        }
        var bytes = img.ImEncode(".png");
        ControlNet.Checkpoints.AtomicFile.Write(path, s => s.Write(bytes));
    }

    /// <summary>RUN/loss.png from RUN/loss.csv (log scale, moving average over 50 steps); nothing when there is no log yet.</summary>
    public static void DrawLoss(string runFolder)
    {
        var log = Path.Combine(runFolder, "loss.csv");
        if (!File.Exists(log)) return;
        var rows = CsvLog.Read(log);
        if (rows.Count == 0) return;
        Draw(rows.Select(r => ((double)r.Step, r.Values[0])).ToList(), Path.Combine(runFolder, "loss.png"), "training loss (MSE on eps)", smooth: 50, logY: true);
    }
}
