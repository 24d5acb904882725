using OpenCvSharp;

namespace ControlNet.Conditions.OpenPose;

/// <summary>
/// The reference <c>draw_bodypose</c> (CN / CN11 annotator/openpose/util.py, REFERENCE §9) on a black RGB canvas.
/// Colours are written as listed into channels R, G, B (the canvas is fed as the RGB control as is).
/// </summary>
public static class BodyPoseDrawing
{
    public const int StickWidth = 4;
    public const int CircleRadius = 4;

    /// <summary>1-based keypoint pairs; only the first 17 are drawn.</summary>
    public static readonly (int A, int B)[] LimbSeq =
    [
        (2, 3), (2, 6), (3, 4), (4, 5), (6, 7), (7, 8), (2, 9), (9, 10), (10, 11), (2, 12), (12, 13), (13, 14),
        (2, 1), (1, 15), (15, 17), (1, 16), (16, 18), (3, 17), (6, 18),
    ];

    public const int DrawnLimbs = 17;

    public static readonly (byte R, byte G, byte B)[] Colors =
    [
        (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0), (0, 255, 85), (0, 255, 170),
        (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
    ];

    static Scalar Color(int i) => new(Colors[i].R, Colors[i].G, Colors[i].B);

    /// <summary>v1.0: circles first, then each limb blended in as canvas·0.4 + copy·0.6.</summary>
    public static Mat DrawV10(int width, int height, IReadOnlyList<PosePerson> people)
    {
        var canvas = new Mat(height, width, MatType.CV_8UC3, Scalar.All(0));
        for (int i = 0; i < 18; i++)
            foreach (var p in people)
                if (p.Keypoints[i] is { } k)
                    Cv2.Circle(canvas, new Point((int)k.X, (int)k.Y), CircleRadius, Color(i), thickness: -1);
        for (int i = 0; i < DrawnLimbs; i++)
            foreach (var p in people)
            {
                if (Limb(p, i) is not { } poly) continue;
                using var copy = canvas.Clone();
                Cv2.FillConvexPoly(copy, poly, Color(i));
                Cv2.AddWeighted(canvas, 0.4, copy, 0.6, 0, canvas);
            }
        return canvas;
    }

    /// <summary>v1.1: limbs drawn directly, the canvas scaled by 0.6 (truncated to uint8), then circles at full colour.</summary>
    public static Mat DrawV11(int width, int height, IReadOnlyList<PosePerson> people)
    {
        var canvas = new Mat(height, width, MatType.CV_8UC3, Scalar.All(0));
        for (int i = 0; i < DrawnLimbs; i++)
            foreach (var p in people)
                if (Limb(p, i) is { } poly)
                    Cv2.FillConvexPoly(canvas, poly, Color(i));
        // (canvas * 0.6).astype(np.uint8): float multiply, then truncation.
        var lut = new byte[256];
        for (int v = 0; v < 256; v++) lut[v] = (byte)(v * 0.6);
        using (var table = Mat.FromPixelData(1, 256, MatType.CV_8UC1, lut)) Cv2.LUT(canvas, table, canvas);
        for (int i = 0; i < 18; i++)
            foreach (var p in people)
                if (p.Keypoints[i] is { } k)
                    Cv2.Circle(canvas, new Point((int)k.X, (int)k.Y), CircleRadius, Color(i), thickness: -1);
        return canvas;
    }

    /// <summary>The filled ellipse of limb <paramref name="i"/>, or null when an end is missing.</summary>
    static Point[]? Limb(PosePerson p, int i)
    {
        var (a, b) = LimbSeq[i];
        if (p.Keypoints[a - 1] is not { } k0 || p.Keypoints[b - 1] is not { } k1) return null;
        double mx = (k0.X + k1.X) / 2, my = (k0.Y + k1.Y) / 2;
        double length = Math.Sqrt((k0.X - k1.X) * (k0.X - k1.X) + (k0.Y - k1.Y) * (k0.Y - k1.Y));
        double angle = Math.Atan2(k0.Y - k1.Y, k0.X - k1.X) * 180.0 / Math.PI;
        return Cv2.Ellipse2Poly(new Point((int)mx, (int)my), new Size((int)(length / 2), StickWidth), (int)angle, 0, 360, 1);
    }
}
