using System.Buffers.Binary;

namespace ControlNet.Hosting.Imaging;

/// <summary>
/// Reads the declared pixel size of an encoded image from its header, without decoding: PNG (IHDR), JPEG (SOFn),
/// WebP (VP8, VP8L, VP8X), TIFF (first IFD), BMP. <see cref="ImageFile"/> checks it against
/// <see cref="Abstractions.ImageLimits"/> before OpenCV allocates the pixels.
/// </summary>
public static class ImageHeader
{
    /// <summary>The declared (width, height), or null when the format is not recognised or the header is cut short.</summary>
    public static (long Width, long Height)? TryReadSize(ReadOnlySpan<byte> b)
    {
        try
        {
            if (b.Length >= 24 && b[..8].SequenceEqual(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }))
                return (BinaryPrimitives.ReadUInt32BigEndian(b[16..]), BinaryPrimitives.ReadUInt32BigEndian(b[20..]));
            if (b.Length >= 4 && b[0] == 0xFF && b[1] == 0xD8) return Jpeg(b);
            if (b.Length >= 30 && b[..4].SequenceEqual("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8)) return WebP(b);
            if (b.Length >= 8 && (b[..4].SequenceEqual("II*\0"u8) || b[..4].SequenceEqual("MM\0*"u8))) return Tiff(b);
            if (b.Length >= 26 && b[0] == 'B' && b[1] == 'M')
                return (Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[18..])), Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(b[22..])));
        }
        catch (ArgumentOutOfRangeException) { } // a header cut short: OpenCV reports the damage
        return null;
    }

    /// <summary>
    /// The first PNG chunk whose declared length runs past the end of the file, as a message; null when all fit.
    /// OpenCV's PNG reader allocates a chunk's declared length before reading it (a 1 KB file can ask for 4 GB).
    /// </summary>
    public static string? FindOversizedPngChunk(ReadOnlySpan<byte> b)
    {
        if (b.Length < 8 || !b[..8].SequenceEqual(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 })) return null;
        long pos = 8;
        while (pos + 8 <= b.Length)
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(b[(int)pos..]);
            var type = System.Text.Encoding.ASCII.GetString(b.Slice((int)pos + 4, 4));
            if (pos + 12 + length > b.Length)
                return $"its {type} chunk at byte {pos} declares {length:N0} bytes, past the end of the file ({b.Length:N0} bytes)";
            if (type == "IEND") return null;
            pos += 12 + length;
        }
        return null;
    }

    static (long, long)? Jpeg(ReadOnlySpan<byte> b)
    {
        int pos = 2;
        while (pos + 9 < b.Length)
        {
            if (b[pos] != 0xFF) return null;
            var marker = b[pos + 1];
            if (marker == 0xFF) { pos++; continue; } // fill byte
            // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                return (BinaryPrimitives.ReadUInt16BigEndian(b[(pos + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(b[(pos + 5)..]));
            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7)) { pos += 2; continue; } // no length
            pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(b[(pos + 2)..]);
        }
        return null;
    }

    static (long, long)? WebP(ReadOnlySpan<byte> b)
    {
        var chunk = b[12..16];
        if (chunk.SequenceEqual("VP8X"u8))
            return (1 + (b[24] | (b[25] << 8) | (b[26] << 16)), 1 + (b[27] | (b[28] << 8) | (b[29] << 16)));
        if (chunk.SequenceEqual("VP8L"u8))
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(b[21..]);
            return (1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF));
        }
        if (chunk.SequenceEqual("VP8 "u8))
            return (BinaryPrimitives.ReadUInt16LittleEndian(b[26..]) & 0x3FFF, BinaryPrimitives.ReadUInt16LittleEndian(b[28..]) & 0x3FFF);
        return null;
    }

    static (long, long)? Tiff(ReadOnlySpan<byte> b)
    {
        bool le = b[0] == 'I';
        var ifd = U32(b, 4, le);
        if (ifd > int.MaxValue - 2) return null;
        int count = U16(b, (int)ifd, le);
        long? w = null, h = null;
        for (int i = 0; i < count; i++)
        {
            int e = (int)ifd + 2 + 12 * i;
            var tag = U16(b, e, le);
            var type = U16(b, e + 2, le);
            long value = type == 3 ? U16(b, e + 8, le) : U32(b, e + 8, le); // SHORT or LONG
            if (tag == 256) w = value;
            else if (tag == 257) h = value;
        }
        return w is { } ww && h is { } hh ? (ww, hh) : null;
    }

    static uint U32(ReadOnlySpan<byte> b, int at, bool le) => le ? BinaryPrimitives.ReadUInt32LittleEndian(b[at..]) : BinaryPrimitives.ReadUInt32BigEndian(b[at..]);
    static ushort U16(ReadOnlySpan<byte> b, int at, bool le) => le ? BinaryPrimitives.ReadUInt16LittleEndian(b[at..]) : BinaryPrimitives.ReadUInt16BigEndian(b[at..]);
}
