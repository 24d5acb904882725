using OpenCvSharp;

namespace ControlNet.Conditions.OpenPose;

/// <summary>
/// The reference <c>draw_handpose</c> and <c>draw_facepose</c> (CN11 annotator/openpose/util.py) on an RGB canvas, drawn after
/// the bodies. Keypoints are in pixels; as in the reference, a point is drawn only when both integer coordinates are above 0.01
/// (so a point on row or column 0, or off the top or left edge, is not drawn).
/// </summary>
public static class HandFaceDrawing
{
    /// <summary>The 20 hand edges (wrist 0 to each finger's four points), in drawing order.</summary>
    public static readonly (int A, int B)[] HandEdges =
    [
        (0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (0, 9), (9, 10),
        (10, 11), (11, 12), (0, 13), (13, 14), (14, 15), (15, 16), (0, 17), (17, 18), (18, 19), (19, 20),
    ];

    public const int EdgeThickness = 2;
    public const int HandPointRadius = 4;
    public const int FacePointRadius = 3;

    /// <summary>Hand points are (0, 0, 255): blue in the RGB control.</summary>
    public static readonly Scalar HandPointColor = new(0, 0, 255);
    public static readonly Scalar FacePointColor = new(255, 255, 255);

    const double Eps = 0.01;

    /// <summary>
    /// Edge <paramref name="edge"/>'s colour: matplotlib <c>hsv_to_rgb([edge/20, 1, 1]) · 255</c>, unrounded (OpenCV rounds it
    /// to the nearest integer, half to even, when it draws — as the reference hands it the float array).
    /// </summary>
    public static (double R, double G, double B) EdgeColor(int edge)
    {
        double h = edge / (double)HandEdges.Length, s = 1.0, v = 1.0;
        int i = (int)(h * 6.0);
        double f = h * 6.0 - i;
        double p = v * (1.0 - s), q = v * (1.0 - s * f), t = v * (1.0 - s * (1.0 - f));
        var (r, g, b) = (i % 6) switch
        {
            0 => (v, t, p),
            1 => (q, v, p),
            2 => (p, v, t),
            3 => (p, q, v),
            4 => (t, p, v),
            _ => (v, p, q),
        };
        return (r * 255, g * 255, b * 255);
    }

    /// <summary>Each hand (21 points, null = missing): its edges (HSV colours, thickness 2), then its points (radius 4).</summary>
    public static void DrawHands(Mat canvas, IEnumerable<IReadOnlyList<(double X, double Y)?>> hands)
    {
        foreach (var hand in hands)
        {
            for (int e = 0; e < HandEdges.Length; e++)
            {
                if (Pixel(hand[HandEdges[e].A]) is not { } a || Pixel(hand[HandEdges[e].B]) is not { } b) continue;
                var (r, g, bl) = EdgeColor(e);
                Cv2.Line(canvas, a, b, new Scalar(r, g, bl), EdgeThickness);
            }
            foreach (var k in hand)
                if (Pixel(k) is { } p) Cv2.Circle(canvas, p, HandPointRadius, HandPointColor, thickness: -1);
        }
    }

    /// <summary>Each face's points as white filled circles of radius 3.</summary>
    public static void DrawFaces(Mat canvas, IEnumerable<IReadOnlyList<(double X, double Y)?>> faces)
    {
        foreach (var face in faces)
            foreach (var k in face)
                if (Pixel(k) is { } p) Cv2.Circle(canvas, p, FacePointRadius, FacePointColor, thickness: -1);
    }

    static Point? Pixel((double X, double Y)? k)
    {
        if (k is not { } v) return null;
        int x = (int)v.X, y = (int)v.Y;
        return x > Eps && y > Eps ? new Point(x, y) : null;
    }
}
