using ControlNet.Conditions.OpenCv;
using OpenCvSharp;

namespace ControlNet.Conditions.Canny;

/// <summary>OpenCV's Canny on an RGB image, as the reference annotator (REFERENCE §9).</summary>
public static class CannyEdges
{
    /// <returns>A 1-channel map, 255 on edges, 0 elsewhere.</returns>
    public static Mat Detect(Mat rgb, double low = 100, double high = 200)
    {
        OpenCvNative.EnsureLoaded();
        var edges = new Mat();
        Cv2.Canny(rgb, edges, low, high);
        return edges;
    }
}
