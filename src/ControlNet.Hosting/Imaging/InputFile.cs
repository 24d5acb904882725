using ControlNet.Abstractions;

namespace ControlNet.Hosting.Imaging;

/// <summary>
/// Reads a user-named input file (image, pose JSON, PNG with metadata) whole, bounded: a file larger than any image
/// the pixel limit allows is refused before it is read, and a file that never ends (<c>/dev/zero</c>, which reports
/// size 0) is refused once it passes that size, instead of growing a buffer to 2 GB.
/// </summary>
public static class InputFile
{
    /// <summary>
    /// The largest input accepted: an uncompressed 16-bit RGBA image at <see cref="ImageLimits.MaxPixels"/> (8 bytes a
    /// pixel) plus 1 MiB of headers and metadata.
    /// </summary>
    public static long MaxBytes => ImageLimits.MaxPixels * 8 + (1 << 20);

    public static byte[] ReadAllBytes(string path)
    {
        if (Directory.Exists(path)) throw new IOException($"'{path}' is a folder; give the path of a file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"'{path}' does not exist. Check the path.", path);
        var max = MaxBytes;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        long declared = stream.CanSeek ? stream.Length : 0;
        if (declared > max) throw TooLarge(path, max);
        using var buffer = new MemoryStream(declared > 0 ? (int)declared : 1 << 16);
        var chunk = new byte[1 << 16];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > max) throw TooLarge(path, max);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    static LimitExceededException TooLarge(string path, long max) => new(
        $"'{path}' is larger than {max / (1 << 20):N0} MiB (or has no end, like a device), more than any image within the pixel limit " +
        $"of {ImageLimits.MaxPixels:N0} can need. Give an image or JSON file, or raise CONTROLNET_MAX_IMAGE_PIXELS.");
}
