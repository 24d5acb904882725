using static TorchSharp.torch;

namespace ControlNet.Abstractions;

/// <summary>Bits per sample of a <see cref="ConditionImage"/>.</summary>
public enum SampleDepth { Eight = 8, Sixteen = 16 }

/// <summary>
/// An image crossing the plug-in boundary: row-major HWC samples, 1 (gray) or 3 (RGB, in that order) channels,
/// 8-bit in <see cref="Data"/> or 16-bit in <see cref="Data16"/> (depth maps). An optional <see cref="Mask"/>
/// marks pixels the control must carry as −1 (inpainting, REFERENCE §9).
/// </summary>
public sealed class ConditionImage
{
    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public SampleDepth Depth { get; }
    /// <summary>8-bit samples, H·W·C; null for 16-bit images.</summary>
    public byte[]? Data { get; }
    /// <summary>16-bit samples, H·W·C; null for 8-bit images.</summary>
    public ushort[]? Data16 { get; }
    /// <summary>H·W bytes, non-zero = masked; null when nothing is masked.</summary>
    public byte[]? Mask { get; }
    /// <summary>
    /// What the preprocessor detected, as JSON, when it has more to say than the pixels (openpose: the keypoints in
    /// OpenPose JSON, which the openpose preprocessor reads back); null otherwise. Contract 1.2.
    /// </summary>
    public string? Json { get; private init; }

    ConditionImage(int width, int height, int channels, byte[]? data, ushort[]? data16, byte[]? mask)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"Image size {width}×{height} is invalid: both sides must be positive.");
        ImageLimits.Check(width, height, "The image");
        if (channels is not (1 or 3)) throw new ArgumentException($"An image has {channels} channels; a condition image has 1 (gray) or 3 (RGB). Convert RGBA to RGB (composite on white) first.");
        long n = (long)width * height * channels;
        if (data is not null && data.Length != n) throw new ArgumentException($"Pixel buffer has {data.Length} bytes; {width}×{height}×{channels} needs {n}.");
        if (data16 is not null && data16.Length != n) throw new ArgumentException($"Pixel buffer has {data16.Length} samples; {width}×{height}×{channels} needs {n}.");
        if (mask is not null && mask.Length != (long)width * height) throw new ArgumentException($"Mask has {mask.Length} bytes; {width}×{height} needs {(long)width * height}.");
        (Width, Height, Channels, Data, Data16, Mask) = (width, height, channels, data, data16, mask);
        Depth = data16 is null ? SampleDepth.Eight : SampleDepth.Sixteen;
    }

    public static ConditionImage Rgb(int width, int height, byte[] rgb) => new(width, height, 3, rgb, null, null);
    public static ConditionImage Gray(int width, int height, byte[] gray) => new(width, height, 1, gray, null, null);
    public static ConditionImage Gray16(int width, int height, ushort[] gray) => new(width, height, 1, null, gray, null);
    public static ConditionImage Create8(int width, int height, int channels, byte[] data) => new(width, height, channels, data, null, null);
    public static ConditionImage Create16(int width, int height, int channels, ushort[] data) => new(width, height, channels, null, data, null);

    /// <summary>The same pixels with <paramref name="mask"/> (H·W, non-zero = masked).</summary>
    public ConditionImage WithMask(byte[]? mask) => new(Width, Height, Channels, Data, Data16, mask) { Json = Json };

    /// <summary>The same pixels carrying <paramref name="json"/> (see <see cref="Json"/>).</summary>
    public ConditionImage WithJson(string? json) => new(Width, Height, Channels, Data, Data16, Mask) { Json = json };

    /// <summary>Sample at (x, y, c) scaled to [0, 1].</summary>
    public float this[int x, int y, int c]
    {
        get
        {
            int i = (y * Width + x) * Channels + c;
            return Data is not null ? Data[i] / 255f : Data16![i] / 65535f;
        }
    }

    /// <summary>
    /// The control tensor [1, C, H, W] float32: samples / 255 (or / 65535), RGB order, masked pixels −1 in every channel —
    /// what the reference apps feed (REFERENCE §9 "control = map/255").
    /// </summary>
    public Tensor ToTensor()
    {
        int hw = Width * Height;
        var values = new float[Channels * hw]; // CHW
        for (int p = 0; p < hw; p++)
            for (int c = 0; c < Channels; c++)
            {
                int src = p * Channels + c;
                values[c * hw + p] = Mask is not null && Mask[p] != 0 ? -1f
                    : Data is not null ? Data[src] / 255f : Data16![src] / 65535f;
            }
        return tensor(values, new long[] { 1, Channels, Height, Width }); // [1, C, H, W]
    }

    /// <summary>HWC3 of the reference: gray replicated to RGB; 16-bit reduced to 8-bit (round(v / 257)). The mask is kept.</summary>
    public ConditionImage ToRgb8()
    {
        if (Channels == 3 && Data is not null) return this;
        var rgb = new byte[Width * Height * 3];
        for (int p = 0; p < Width * Height; p++)
            for (int c = 0; c < 3; c++)
            {
                int src = p * Channels + (Channels == 1 ? 0 : c);
                rgb[p * 3 + c] = Data is not null ? Data[src] : (byte)Math.Round(Data16![src] / 257.0);
            }
        return new(Width, Height, 3, rgb, null, Mask) { Json = Json };
    }

    public override string ToString() => $"{Width}×{Height}×{Channels} {(int)Depth}-bit{(Mask is null ? "" : " masked")}";
}
