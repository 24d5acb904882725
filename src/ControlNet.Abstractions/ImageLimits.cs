namespace ControlNet.Abstractions;

/// <summary>
/// The largest image the SDK decodes, resizes or builds, checked from the size before any pixel buffer is allocated:
/// a 100-byte PNG or JPEG header can declare 30000×30000 pixels (a decompression bomb). Hosts set
/// <see cref="MaxPixels"/> once at start (the CLI reads <c>CONTROLNET_MAX_IMAGE_PIXELS</c>); plug-ins call <see cref="Check"/>.
/// </summary>
public static class ImageLimits
{
    /// <summary>64 megapixels: above an 8K photo (33 MP), far below what a 16 GB machine can hold as float tensors.</summary>
    public const long DefaultMaxPixels = 64L * 1024 * 1024;

    static long _maxPixels = FromEnvironment();

    /// <summary>Width × height allowed for any image (input, condition map, resize target or output).</summary>
    public static long MaxPixels
    {
        get => Volatile.Read(ref _maxPixels);
        set => Volatile.Write(ref _maxPixels, value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The image pixel limit must be positive."));
    }

    /// <summary>Throws when <paramref name="width"/> × <paramref name="height"/> is not a size the SDK will allocate.</summary>
    /// <param name="what">what the size belongs to, for the message ("'photo.png'", "the resize target")</param>
    public static void Check(long width, long height, string what)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"{what} is {width}×{height} pixels; both sides must be positive.");
        if (width > MaxPixels || height > MaxPixels || width * height > MaxPixels)
            throw new LimitExceededException(
                $"{what} is {width}×{height} = {(double)width * height:N0} pixels, above the limit of {MaxPixels:N0} ({MaxPixels / (1024 * 1024)} MP). " +
                "Use a smaller image, or raise the limit with CONTROLNET_MAX_IMAGE_PIXELS if the machine has the memory.");
    }

    static long FromEnvironment() =>
        long.TryParse(Environment.GetEnvironmentVariable("CONTROLNET_MAX_IMAGE_PIXELS"), out var v) && v > 0 ? v : DefaultMaxPixels;
}
