using ControlNet.Abstractions;
using OpenCvSharp;

namespace ControlNet.Conditions.OpenCv;

/// <summary>The reference <c>resize_image</c> (REFERENCE §9): sides from <see cref="ReferenceResize.TargetSize"/>, LANCZOS4 when enlarging, AREA otherwise.</summary>
public static class ReferenceResizer
{
    public static Mat Apply(Mat image, int resolution)
    {
        var (w, h, enlarge) = ReferenceResize.TargetSize(image.Cols, image.Rows, resolution);
        var resized = new Mat();
        Cv2.Resize(image, resized, new Size(w, h), 0, 0, enlarge ? InterpolationFlags.Lanczos4 : InterpolationFlags.Area);
        return resized;
    }
}
