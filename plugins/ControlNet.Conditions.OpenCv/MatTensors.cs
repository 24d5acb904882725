using System.Runtime.InteropServices;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Conditions.OpenCv;

/// <summary>Copies between 8-bit OpenCV images and the float tensors the neural annotators take and give.</summary>
public static class MatTensors
{
    /// <summary>An 8-bit HWC Mat → [1, C, H, W] float32 with the raw 0–255 values (channel order kept).</summary>
    public static Tensor ToTensor(Mat image)
    {
        if (image.Depth() != MatType.CV_8U) throw new ArgumentException($"Expected an 8-bit image, got Mat depth {image.Depth()}.");
        using var continuous = image.IsContinuous() ? null : image.Clone();
        var src = continuous ?? image;
        int h = src.Rows, w = src.Cols, c = src.Channels();
        var bytes = new byte[h * w * c];
        Marshal.Copy(src.Data, bytes, 0, bytes.Length);
        using var scope = NewDisposeScope();
        var hwc = tensor(bytes, [h, w, c]);                                  // [H, W, C] uint8
        return hwc.permute(2, 0, 1).unsqueeze(0).to_type(ScalarType.Float32) // [1, C, H, W]
            .contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A [H, W] map in [0, 1] → an 8-bit gray Mat as the references store it: <c>(x · 255).clip(0, 255).astype(uint8)</c>
    /// (truncation, not rounding).
    /// </summary>
    public static Mat ToGray8(Tensor map)
    {
        if (map.dim() != 2) throw new ArgumentException($"Expected a [H, W] map, got [{string.Join(", ", map.shape)}].");
        using var scope = NewDisposeScope();
        var u8 = (map.to_type(ScalarType.Float64) * 255.0).clamp(0, 255).floor().to_type(ScalarType.Byte).contiguous(); // [H, W]
        var bytes = u8.data<byte>().ToArray();
        int h = (int)map.shape[0], w = (int)map.shape[1];
        var mat = new Mat(h, w, MatType.CV_8UC1);
        Marshal.Copy(bytes, 0, mat.Data, bytes.Length);
        return mat;
    }
}
