using ControlNet.Conditions.Canny;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;

namespace ControlNet.Tests.Foundation;

public class OpenCvTests
{
    [Fact]
    public void OpenCV_loads_and_Canny_finds_the_edges_of_a_square()
    {
        OpenCvNative.EnsureLoaded(); // names the missing Debian package (libgtk-3-0) if OpenCV cannot load
        using var img = new Mat(64, 64, MatType.CV_8UC3, Scalar.All(0));
        Cv2.Rectangle(img, new Rect(16, 16, 32, 32), Scalar.All(255), thickness: -1);
        using var edges = CannyEdges.Detect(img);
        Assert.Equal(64, edges.Rows);
        // Edges lie on the square's border, nothing inside or far outside.
        Assert.True(edges.At<byte>(32, 16) == 255 || edges.At<byte>(32, 15) == 255);
        Assert.Equal(0, edges.At<byte>(32, 32));
        Assert.Equal(0, edges.At<byte>(2, 2));
        Assert.InRange(Cv2.CountNonZero(edges), 100, 160);
    }
}
