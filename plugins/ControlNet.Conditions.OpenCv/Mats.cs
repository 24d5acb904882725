using System.Runtime.InteropServices;
using ControlNet.Abstractions;
using OpenCvSharp;

namespace ControlNet.Conditions.OpenCv;

/// <summary>Copies between <see cref="ConditionImage"/> (HWC, RGB order) and OpenCV <see cref="Mat"/> (same bytes: channel 0 stays R).</summary>
public static class Mats
{
    public static Mat FromImage(ConditionImage image)
    {
        OpenCvNative.EnsureLoaded();
        if (image.Data is not null)
        {
            var mat = new Mat(image.Height, image.Width, MatType.CV_8UC(image.Channels));
            Marshal.Copy(image.Data, 0, mat.Data, image.Data.Length);
            return mat;
        }
        var mat16 = new Mat(image.Height, image.Width, MatType.CV_16UC(image.Channels));
        var bytes = MemoryMarshal.AsBytes(image.Data16.AsSpan()).ToArray();
        Marshal.Copy(bytes, 0, mat16.Data, bytes.Length);
        return mat16;
    }

    /// <summary>An 8-bit (1 or 3 channel) or 16-bit Mat back to an image; continuous copy.</summary>
    public static ConditionImage ToImage(Mat mat)
    {
        using var m = mat.IsContinuous() ? null : mat.Clone();
        var src = m ?? mat;
        int ch = src.Channels();
        if (src.Depth() == MatType.CV_8U)
        {
            var data = new byte[src.Rows * src.Cols * ch];
            Marshal.Copy(src.Data, data, 0, data.Length);
            return ConditionImage.Create8(src.Cols, src.Rows, ch, data);
        }
        if (src.Depth() == MatType.CV_16U)
        {
            var bytes = new byte[src.Rows * src.Cols * ch * 2];
            Marshal.Copy(src.Data, bytes, 0, bytes.Length);
            return ConditionImage.Create16(src.Cols, src.Rows, ch, MemoryMarshal.Cast<byte, ushort>(bytes).ToArray());
        }
        throw new NotSupportedException($"Mat depth {src.Depth()} cannot become a condition image; convert to 8-bit first.");
    }

    /// <summary>HWC3 of the reference: a 1-channel map replicated to 3 channels.</summary>
    public static Mat Hwc3(Mat mat)
    {
        if (mat.Channels() == 3) return mat.Clone();
        var rgb = new Mat();
        Cv2.CvtColor(mat, rgb, ColorConversionCodes.GRAY2RGB);
        return rgb;
    }
}
