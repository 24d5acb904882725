using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;
using ControlNet.Server.Api;

namespace ControlNet.Server.Jobs;

/// <summary>Decodes the base64 images of a job (a <c>data:</c> URL prefix is accepted) within the server's pixel cap.</summary>
public static class JobImages
{
    /// <summary>The bytes of a base64 field; a URL or malformed text is refused with the field named.</summary>
    public static byte[] Bytes(string base64, string field)
    {
        var text = base64.Trim();
        if (text.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            int comma = text.IndexOf(',');
            text = comma < 0 ? "" : text[(comma + 1)..];
        }
        if (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            throw new RequestValidationException(field, "is a URL; the server fetches nothing, send the image itself as base64.");
        try { return Convert.FromBase64String(text); }
        catch (FormatException) { throw new RequestValidationException(field, "is not valid base64; send the PNG or JPEG file's bytes as base64 (a data: URL prefix is fine)."); }
    }

    /// <summary>Decodes an image the way <paramref name="mode"/> says; too many pixels or an undecodable file are refused.</summary>
    public static ConditionImage Decode(string base64, string field, PreprocessorInput mode, long maxPixels)
    {
        var bytes = Bytes(base64, field);
        ConditionImage image;
        try { image = mode == PreprocessorInput.StoredImage ? ImageFile.LoadStored(bytes, field) : ImageFile.LoadRgb(bytes, field); }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or OpenCvSharp.OpenCVException)
        {
            throw new RequestValidationException(field, "could not be decoded as an image; send a PNG, JPEG, BMP, TIFF or WebP file as base64.");
        }
        if ((long)image.Width * image.Height > maxPixels)
            throw new RequestValidationException(field, $"is {image.Width}×{image.Height} pixels; this server takes at most {maxPixels:N0} pixels per image (scale it down).");
        return image;
    }

    /// <summary>A mask image (white = masked) as H·W flags, at the size of <paramref name="like"/>.</summary>
    public static byte[] Mask(string base64, string field, ConditionImage like, long maxPixels)
    {
        var mask = Decode(base64, field, PreprocessorInput.RgbImage, maxPixels);
        if (mask.Width != like.Width || mask.Height != like.Height)
            throw new RequestValidationException(field, $"is {mask.Width}×{mask.Height}; it must have the size of its image, {like.Width}×{like.Height}.");
        var flags = new byte[mask.Width * mask.Height];
        for (int p = 0; p < flags.Length; p++) flags[p] = mask.Data![3 * p] > 127 ? (byte)1 : (byte)0;
        return flags;
    }
}
