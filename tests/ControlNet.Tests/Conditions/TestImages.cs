using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using OpenCvSharp;

namespace ControlNet.Tests.Conditions;

static class TestImages
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Conditions", "TestData", name);

    /// <summary>A black (or <paramref name="background"/>) RGB canvas the test draws on with OpenCV.</summary>
    public static ConditionImage Draw(int width, int height, Action<Mat> draw, byte background = 0)
    {
        OpenCvNative.EnsureLoaded();
        using var m = new Mat(height, width, MatType.CV_8UC3, Scalar.All(background));
        draw(m);
        return Mats.ToImage(m);
    }

    public static (byte R, byte G, byte B) Rgb(this ConditionImage img, int x, int y)
    {
        int i = (y * img.Width + x) * img.Channels;
        return img.Channels == 1 ? (img.Data![i], img.Data[i], img.Data[i]) : (img.Data![i], img.Data[i + 1], img.Data[i + 2]);
    }

    public static int CountWhite(this ConditionImage img) =>
        Enumerable.Range(0, img.Width * img.Height).Count(p => img.Data![p * img.Channels] == 255);
}
