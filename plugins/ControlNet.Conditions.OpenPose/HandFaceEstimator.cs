using OpenCvSharp;

namespace ControlNet.Conditions.OpenPose;

/// <summary>
/// Hands and face of detected people (CN11 annotator/openpose/__init__.py <c>OpenposeDetector</c> with hands and face): each
/// person's boxes from its body keypoints (<see cref="PartBoxes"/>), the hand network on each hand box
/// (<see cref="HandPoseEstimator"/>) and the face network on the face box (<see cref="FacePoseEstimator"/>), the points moved
/// from the crop to the image. As in the reference, a point whose crop x or y is 0 counts as missing (0 is its "not found").
/// </summary>
public static class HandFaceEstimator
{
    /// <param name="person">a body found in <paramref name="bgr"/></param>
    /// <param name="bgr">the image the body was found in, BGR 8-bit</param>
    /// <param name="hands">the hand network, or null to skip hands</param>
    /// <param name="face">the face network, or null to skip the face</param>
    /// <param name="handScales">the hand scale search (default 0.5, 1, 1.5, 2)</param>
    /// <param name="faceInputSize">the face network's input side (default 384)</param>
    public static DetectedPerson Detect(DetectedPerson person, Mat bgr, CpmKeypointNetwork? hands, CpmKeypointNetwork? face,
        IReadOnlyList<double>? handScales = null, int faceInputSize = FacePoseEstimator.InputSize)
    {
        var body = person.ToPosePerson().Keypoints;
        int w = bgr.Cols, h = bgr.Rows;
        var result = person;
        if (hands is not null)
        {
            PartKeypoint?[]? left = null, right = null;
            foreach (var box in PartBoxes.Hands(body, w, h))
            {
                // A copy: OpenCV's blur would otherwise read the pixels around the box, which the reference's crop does not have.
                using var crop = new Mat(bgr, new Rect(box.X, box.Y, box.Side, box.Side)).Clone();
                var points = Place(HandPoseEstimator.Detect(hands, crop, handScales), box.X, box.Y);
                if (box.IsLeft) left = points;
                else right = points;
            }
            result = result with { LeftHand = left, RightHand = right };
        }
        if (face is not null && PartBoxes.Face(body, w, h) is { } f)
        {
            using var crop = new Mat(bgr, new Rect(f.X, f.Y, Math.Min(f.Side, w - f.X), Math.Min(f.Side, h - f.Y))).Clone();
            result = result with { Face = Place(FacePoseEstimator.Detect(face, crop, faceInputSize), f.X, f.Y) };
        }
        return result;
    }

    static PartKeypoint?[] Place(PartKeypoint?[] points, int x, int y) =>
        points.Select(k => k is { } p && p.X > 0 && p.Y > 0 ? new PartKeypoint(p.X + x, p.Y + y, p.Score) : (PartKeypoint?)null).ToArray();
}
