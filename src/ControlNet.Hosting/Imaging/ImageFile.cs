using System.Runtime.InteropServices;
using ControlNet.Abstractions;
using OpenCvSharp;

namespace ControlNet.Hosting.Imaging;

/// <summary>Image files (PNG, JPEG, BMP, TIFF, WebP — what OpenCV decodes) to and from <see cref="ConditionImage"/>.</summary>
public static class ImageFile
{
    /// <summary>Opens an image the way <paramref name="mode"/> says; <see cref="PreprocessorInput.File"/> is not an image.</summary>
    public static ConditionImage Load(string path, PreprocessorInput mode) => mode switch
    {
        PreprocessorInput.RgbImage => LoadRgb(path),
        PreprocessorInput.StoredImage => LoadStored(path),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Raw files are read with File.ReadAllBytes, not decoded."),
    };

    /// <summary>RGB 8-bit as the reference HWC3: gray replicated, 16-bit reduced, alpha composited on white.</summary>
    public static ConditionImage LoadRgb(string path) => LoadRgb(ReadFile(path), path);

    /// <summary>As <see cref="LoadRgb(string)"/>, from encoded bytes (an upload); <paramref name="name"/> is for messages.</summary>
    public static ConditionImage LoadRgb(byte[] encoded, string name)
    {
        var stored = LoadStored(encoded, name);
        var rgb = stored.ToRgb8();
        if (rgb.Mask is null) return rgb;
        // The alpha was kept by LoadStored; recompute the composite from it: color·a + 255·(1 − a), truncated.
        var alpha = LoadAlpha(encoded, name)!;
        var data = (byte[])rgb.Data!.Clone();
        for (int p = 0; p < alpha.Length; p++)
        {
            float a = alpha[p] / 255f;
            for (int c = 0; c < 3; c++)
                data[3 * p + c] = (byte)Math.Clamp(data[3 * p + c] * a + 255f * (1f - a), 0f, 255f);
        }
        return ConditionImage.Rgb(rgb.Width, rgb.Height, data);
    }

    /// <summary>Gray or RGB, 8- or 16-bit, as stored; an alpha channel becomes the mask (alpha &lt; 128 = masked).</summary>
    public static ConditionImage LoadStored(string path) => LoadStored(ReadFile(path), path);

    /// <summary>As <see cref="LoadStored(string)"/>, from encoded bytes (an upload); <paramref name="name"/> is for messages.</summary>
    public static ConditionImage LoadStored(byte[] encoded, string name)
    {
        using var mat = Decode(encoded, name);
        using var rgb = new Mat();
        byte[]? mask = null;
        switch (mat.Channels())
        {
            case 1: mat.CopyTo(rgb); break;
            case 3: Cv2.CvtColor(mat, rgb, ColorConversionCodes.BGR2RGB); break;
            case 4:
                Cv2.CvtColor(mat, rgb, ColorConversionCodes.BGRA2RGB);
                mask = AlphaToMask(mat);
                break;
            default: throw new InvalidDataException($"'{name}' has {mat.Channels()} channels; expected gray, RGB or RGBA.");
        }
        return ToImage(rgb, name).WithMask(mask);
    }

    /// <summary>Saves as PNG atomically (16-bit stays 16-bit; a mask becomes transparency), with optional text metadata.</summary>
    public static void SavePng(ConditionImage image, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var png = EncodePng(image);
        if (metadata is { Count: > 0 }) png = PngMetadata.Add(png, metadata);
        AtomicFile.WriteAllBytes(path, png);
    }

    public static byte[] EncodePng(ConditionImage image)
    {
        Conditions.OpenCv.OpenCvNative.EnsureLoaded();
        using var mat = ToMat(image);
        using var bgr = new Mat();
        if (image.Channels == 1 && image.Mask is null) mat.CopyTo(bgr);
        else if (image.Mask is null) Cv2.CvtColor(mat, bgr, ColorConversionCodes.RGB2BGR);
        else
        {
            Cv2.CvtColor(mat, bgr, image.Channels == 1 ? ColorConversionCodes.GRAY2BGRA : ColorConversionCodes.RGB2BGRA);
            var alpha = image.Mask.Select(m => m != 0 ? (byte)0 : (byte)(image.Depth == SampleDepth.Eight ? 255 : 0)).ToArray();
            if (image.Depth == SampleDepth.Sixteen) throw new NotSupportedException("A masked 16-bit image cannot be saved; convert it with ToRgb8() first.");
            using var a = Mat.FromPixelData(image.Height, image.Width, MatType.CV_8UC1, alpha);
            Cv2.InsertChannel(a, bgr, 3);
        }
        Cv2.ImEncode(".png", bgr, out var bytes);
        return bytes;
    }

    static byte[] ReadFile(string path) =>
        File.Exists(path) || Directory.Exists(path) ? InputFile.ReadAllBytes(path) : throw new FileNotFoundException($"Image '{path}' does not exist. Check the path.", path);

    static Mat Decode(byte[] encoded, string path)
    {
        Conditions.OpenCv.OpenCvNative.EnsureLoaded();
        // The declared size is checked before OpenCV allocates it: a small file can declare a 30000×30000 image.
        if (ImageHeader.TryReadSize(encoded) is { } size) ImageLimits.Check(size.Width, size.Height, $"'{path}'");
        if (ImageHeader.FindOversizedPngChunk(encoded) is { } damage)
            throw new InvalidDataException($"'{path}' is a damaged PNG: {damage}. Re-export or re-download the image.");
        Mat mat;
        try { mat = Cv2.ImDecode(encoded, ImreadModes.Unchanged); }
        catch (OpenCVException e) { throw new InvalidDataException($"'{path}' could not be decoded ({e.Message}); the file is damaged or not an image.", e); }
        if (!mat.Empty() && (long)mat.Rows * mat.Cols > ImageLimits.MaxPixels)
        {
            var (w, h) = (mat.Cols, mat.Rows);
            mat.Dispose();
            ImageLimits.Check(w, h, $"'{path}'");
        }
        if (mat.Empty()) throw new InvalidDataException($"'{path}' could not be decoded as an image; use PNG, JPEG, BMP, TIFF or WebP.");
        if (mat.Depth() != MatType.CV_8U && mat.Depth() != MatType.CV_16U)
            throw new InvalidDataException($"'{path}' has {mat.Depth()} samples; only 8- and 16-bit images are supported.");
        return mat;
    }

    static byte[]? LoadAlpha(byte[] encoded, string path)
    {
        using var mat = Decode(encoded, path);
        if (mat.Channels() != 4) return null;
        using var a = mat.ExtractChannel(3);
        using var a8 = new Mat();
        a.ConvertTo(a8, MatType.CV_8UC1, mat.Depth() == MatType.CV_16U ? 1.0 / 257.0 : 1.0);
        a8.GetArray(out byte[] alpha);
        return alpha;
    }

    static byte[] AlphaToMask(Mat bgra)
    {
        using var a = bgra.ExtractChannel(3);
        using var a8 = new Mat();
        a.ConvertTo(a8, MatType.CV_8UC1, bgra.Depth() == MatType.CV_16U ? 1.0 / 257.0 : 1.0);
        a8.GetArray(out byte[] alpha);
        return alpha.Select(v => v < 128 ? (byte)1 : (byte)0).ToArray();
    }

    static ConditionImage ToImage(Mat m, string path)
    {
        int ch = m.Channels();
        if (m.Depth() == MatType.CV_8U)
        {
            var data = new byte[m.Rows * m.Cols * ch];
            Marshal.Copy(m.Data, data, 0, data.Length);
            return ConditionImage.Create8(m.Cols, m.Rows, ch, data);
        }
        var bytes = new byte[m.Rows * m.Cols * ch * 2];
        Marshal.Copy(m.Data, bytes, 0, bytes.Length);
        return ConditionImage.Create16(m.Cols, m.Rows, ch, MemoryMarshal.Cast<byte, ushort>(bytes).ToArray());
    }

    static Mat ToMat(ConditionImage image)
    {
        if (image.Data is not null)
        {
            var mat = new Mat(image.Height, image.Width, MatType.CV_8UC(image.Channels));
            Marshal.Copy(image.Data, 0, mat.Data, image.Data.Length);
            return mat;
        }
        var mat16 = new Mat(image.Height, image.Width, MatType.CV_16UC(image.Channels));
        var b = MemoryMarshal.AsBytes(image.Data16.AsSpan()).ToArray();
        Marshal.Copy(b, 0, mat16.Data, b.Length);
        return mat16;
    }
}
