namespace ControlNet.Conditions.OpenPose;

/// <summary>A square hand crop in image pixels (inside the image); <see cref="IsLeft"/> for the person's left hand (body points 5–7).</summary>
public readonly record struct HandBox(int X, int Y, int Side, bool IsLeft);

/// <summary>A square face crop in image pixels; it may reach past the right or bottom edge, where the crop is cut (as the reference's slicing does).</summary>
public readonly record struct FaceBox(int X, int Y, int Side);

/// <summary>
/// Where the hand and face networks look, from a person's COCO-18 body keypoints in pixels (CN11 annotator/openpose/util.py
/// <c>handDetect</c>, after CMU OpenPose handDetector.cpp, and <c>faceDetect</c>). Boxes with a side under 20 pixels are dropped.
/// </summary>
public static class PartBoxes
{
    public const double RatioWristElbow = 0.33;
    public const int MinSide = 20;

    /// <summary>
    /// The left hand (shoulder 5, elbow 6, wrist 7) then the right hand (2, 3, 4), each when its three points exist: centre
    /// <c>wrist + 0.33·(wrist − elbow)</c>, side <c>1.5·max(|wrist − elbow|, 0.9·|elbow − shoulder|)</c>; the top-left corner
    /// is clamped to 0 and the side shrunk to stay inside the image; corner and side truncated to integers.
    /// </summary>
    public static IReadOnlyList<HandBox> Hands(IReadOnlyList<(double X, double Y)?> body, int imageWidth, int imageHeight)
    {
        var boxes = new List<HandBox>(2);
        foreach (var (shoulder, elbow, wrist, isLeft) in new[] { (5, 6, 7, true), (2, 3, 4, false) })
        {
            if (body[shoulder] is not { } s || body[elbow] is not { } e || body[wrist] is not { } w) continue;
            double x = w.X + RatioWristElbow * (w.X - e.X);
            double y = w.Y + RatioWristElbow * (w.Y - e.Y);
            double wristElbow = Math.Sqrt((w.X - e.X) * (w.X - e.X) + (w.Y - e.Y) * (w.Y - e.Y));
            double elbowShoulder = Math.Sqrt((e.X - s.X) * (e.X - s.X) + (e.Y - s.Y) * (e.Y - s.Y));
            double side = 1.5 * Math.Max(wristElbow, 0.9 * elbowShoulder);
            x -= side / 2;
            y -= side / 2;
            if (x < 0) x = 0;
            if (y < 0) y = 0;
            double sideX = x + side > imageWidth ? imageWidth - x : side;
            double sideY = y + side > imageHeight ? imageHeight - y : side;
            side = Math.Min(sideX, sideY);
            if (side >= MinSide) boxes.Add(new HandBox((int)x, (int)y, (int)side, isLeft));
        }
        return boxes;
    }

    /// <summary>
    /// The face box around the nose (0) when an eye (14, 15) or ear (16, 17) exists: half-side = the largest of 3× each eye's and
    /// 1.5× each ear's Chebyshev distance to the nose; corner = nose − half-side, clamped to 0. The reference shrinks the side
    /// only when corner + half-side passes the edge, so the box can reach past it; the crop is cut there.
    /// </summary>
    public static FaceBox? Face(IReadOnlyList<(double X, double Y)?> body, int imageWidth, int imageHeight)
    {
        if (body[0] is not { } nose) return null;
        if (body[14] is null && body[15] is null && body[16] is null && body[17] is null) return null;
        double half = 0;
        foreach (var (index, factor) in new[] { (14, 3.0), (15, 3.0), (16, 1.5), (17, 1.5) })
            if (body[index] is { } p) half = Math.Max(half, factor * Math.Max(Math.Abs(nose.X - p.X), Math.Abs(nose.Y - p.Y)));
        double x = Math.Max(nose.X - half, 0), y = Math.Max(nose.Y - half, 0);
        double sideX = x + half > imageWidth ? imageWidth - x : 2 * half;
        double sideY = y + half > imageHeight ? imageHeight - y : 2 * half;
        double side = Math.Min(sideX, sideY);
        return side >= MinSide ? new FaceBox((int)x, (int)y, (int)side) : null;
    }
}
