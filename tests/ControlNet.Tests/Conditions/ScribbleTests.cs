using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using ControlNet.Conditions.Scribble;
using OpenCvSharp;

namespace ControlNet.Tests.Conditions;

public class ScribbleTests
{
    static readonly Dictionary<string, string> At256 = new() { ["detect-resolution"] = "256" };

    [Fact]
    public void User_scribble_turns_dark_strokes_on_paper_white_on_black()
    {
        var img = TestImages.Draw(256, 256, m =>
        {
            Cv2.Line(m, new Point(20, 128), new Point(230, 128), new Scalar(126, 200, 200), 3); // min channel 126 < 127: stroke
            Cv2.Line(m, new Point(128, 20), new Point(128, 100), new Scalar(127, 127, 127), 3); // 127 is not below 127: paper
        }, background: 255);
        var map = new ScribblePreprocessor().Run(PreprocessorSource.From(img), At256);
        Assert.Equal((255, 255, 255), map.Rgb(100, 128));
        Assert.Equal((0, 0, 0), map.Rgb(128, 60));
        Assert.Equal((0, 0, 0), map.Rgb(10, 10));
        // Exactly the pixels whose darkest channel is below 127 (the cross line at 127 is not among them).
        int strokes = Enumerable.Range(0, 256 * 256).Count(p => Math.Min(img.Data![3 * p], Math.Min(img.Data[3 * p + 1], img.Data[3 * p + 2])) < 127);
        Assert.Equal(strokes, map.CountWhite());
        Assert.InRange(strokes, 3 * 211, 6 * 211);
    }

    [Fact]
    public void Fake_scribble_NMS_keeps_soft_edge_lines_and_drops_faint_thin_ones()
    {
        // A soft edge line as HED draws it (≈7 px wide), and a 1-px line, which σ = 3 blurs below 127.
        var edges = TestImages.Draw(256, 256, m =>
        {
            Cv2.Line(m, new Point(30, 80), new Point(220, 80), Scalar.All(255), 7);
            Cv2.Line(m, new Point(30, 180), new Point(220, 180), Scalar.All(255), 1);
        });
        var map = new FakeScribblePreprocessor().Run(PreprocessorSource.From(edges), At256);
        Assert.Equal(255, map.Rgb(128, 80).R);   // the ridge of the soft line survives
        Assert.Equal(0, map.Rgb(128, 180).R);    // the faint thin line is gone
        Assert.Equal(0, map.Rgb(128, 130).R);
        // The kept band (> 127 after the σ 3 blur), widened by the final σ 3 blur and "> 4".
        int width = Enumerable.Range(60, 40).Count(y => map.Rgb(128, y).R == 255);
        Assert.InRange(width, 7, 25);
    }

    static ConditionImage Field(int size, Func<int, int, double> value)
    {
        var data = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                data[3 * (y * size + x)] = data[3 * (y * size + x) + 1] = data[3 * (y * size + x) + 2] = (byte)Math.Round(value(x, y));
        return ConditionImage.Rgb(size, size, data);
    }

    static byte[] Nms(ConditionImage img)
    {
        using var mat = Mats.FromImage(img);
        using var nms = FakeScribble.Nms(mat, 127, 3.0);
        nms.GetArray(out Vec3b[] px);
        return px.Select(p => p.Item0).ToArray();
    }

    [Fact]
    public void Nms_thins_a_smooth_blob_to_the_four_lines_through_its_peak()
    {
        // A smooth bump: off the 4 kernel lines through the peak, every pixel has a brighter neighbour along each
        // direction, so NMS drops it even where it is far above the threshold.
        const int n = 129, c = 64;
        var bump = Field(n, (x, y) => 255 * Math.Exp(-((x - c) * (x - c) + (y - c) * (y - c)) / (2.0 * 20 * 20)));
        var kept = Nms(bump);
        int onLines = 0;
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
            {
                if (kept[y * n + x] == 0) continue;
                int dx = x - c, dy = y - c;
                if (dx * dx + dy * dy < 16) continue; // near the peak the 8-bit input is flat enough for ties
                // Along a diagonal u the neighbours p ± u are equally far from the peak when |dx| and |dy| differ by 1: a tie, kept.
                Assert.True(dx == 0 || dy == 0 || Math.Abs(Math.Abs(dx) - Math.Abs(dy)) <= 1, $"kept ({x},{y}) is off the 4 lines through the peak");
                onLines++;
            }
        Assert.Equal(255, kept[c * n + c]);
        Assert.Equal(0, kept[(c + 2) * n + c + 5]); // value ≈ 236 > 127, but not a directional maximum
        Assert.InRange(onLines, 4 * 2 * 10, 4 * 2 * 3 * 30); // 8 spokes (diagonal ones up to 3 wide), each as long as the bump stays above 127
    }

    [Fact]
    public void Nms_thins_a_soft_oblique_stroke_to_its_ridge()
    {
        // A wide soft stroke (Gaussian profile, σ 6 px) at ≈ 27°: no kernel line runs along it, so only its ridge survives.
        const int n = 160;
        var stroke = Field(n, (x, y) =>
        {
            double d = (y - 80 - 0.5 * (x - 80)) / Math.Sqrt(1.25); // distance to the line y = 80 + (x − 80)/2
            return 255 * Math.Exp(-d * d / (2 * 6.0 * 6.0));
        });
        var kept = Nms(stroke);
        int keptInColumn = Enumerable.Range(0, n).Count(y => kept[y * n + 80] == 255);
        int brightInColumn = Enumerable.Range(0, n).Count(y => stroke.Rgb(80, y).R > 127);
        Assert.True(brightInColumn >= 14, $"{brightInColumn}");
        Assert.InRange(keptInColumn, 1, 3);
        Assert.Equal(255, kept[80 * n + 80]); // the ridge itself
    }

    [Fact]
    public void Nms_keeps_the_plateau_of_a_flat_filled_disk_as_the_reference_does()
    {
        // A flat disk blurs to a plateau whose pixels equal their neighbours, so the reference nms keeps it filled;
        // fake scribbles become outlines because the HED map of a shape is its outline, not because of nms.
        var disk = TestImages.Draw(128, 128, m => Cv2.Circle(m, new Point(64, 64), 30, Scalar.All(255), -1));
        var kept = Nms(disk);
        Assert.Equal(255, kept[64 * 128 + 64]);
        Assert.Equal(0, kept[64 * 128 + 100]);
        var outline = TestImages.Draw(128, 128, m => Cv2.Circle(m, new Point(64, 64), 30, Scalar.All(255), 7));
        var map = new FakeScribblePreprocessor().Run(PreprocessorSource.From(outline), new Dictionary<string, string> { ["detect-resolution"] = "128" });
        Assert.Equal(255, map.Rgb(94, 64).R); // on the outline
        Assert.Equal(0, map.Rgb(64, 64).R);   // the inside stays black
    }
}
