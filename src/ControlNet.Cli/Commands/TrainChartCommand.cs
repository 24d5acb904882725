using System.ComponentModel;
using System.Globalization;
using ControlNet.Training;
using OpenCvSharp;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet train-chart LOG.csv OUT.png</c>: draws a training log column against steps (raw, and a moving average
/// for noisy losses). The train commands call <see cref="Draw"/> themselves at every sample step and at the end.
/// </summary>
public sealed class TrainChartCommand : Command<TrainChartCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<LOG>")] public string Log { get; init; } = "";
        [CommandArgument(1, "<OUT>")] public string Output { get; init; } = "";
        [CommandOption("--column <N>")][Description("Value column after the step (1 = loss in loss.csv, IoU in adherence.csv).")] public int Column { get; init; } = 1;
        [CommandOption("--title <TEXT>")] public string? Title { get; init; }
        [CommandOption("--smooth <N>")][Description("Moving-average window drawn over the raw curve (0 = off).")] public int Smooth { get; init; } = 50;
        [CommandOption("--log-y")][Description("Logarithmic y axis.")] public bool LogY { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Log)) throw new UserFacingException($"Log '{settings.Log}' does not exist; pass loss.csv or adherence.csv of a run folder.");
        var rows = CsvLog.Read(settings.Log);
        Draw(rows.Select(r => ((double)r.Step, r.Values[settings.Column - 1])).ToList(), settings.Output,
            settings.Title ?? Path.GetFileNameWithoutExtension(settings.Log), settings.Smooth, settings.LogY);
        Console.WriteLine($"{settings.Log} → {settings.Output} ({rows.Count} points)");
        return ExitCodes.Success;
    }

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
        Checkpoints.AtomicFile.Write(path, s => s.Write(bytes));
    }
}
