using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ControlNet.Tests.Hostile;

/// <summary>Small encoded files that declare huge images (decompression bombs), in each container OpenCV reads.</summary>
static class HostileImages
{
    public static byte[] Png(uint width, uint height, byte bitDepth = 8, byte colorType = 2)
    {
        var ms = new MemoryStream();
        ms.Write(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 });
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth; ihdr[9] = colorType;
        Chunk(ms, "IHDR", ihdr);
        // A tiny deflate stream of zeros: a decoder that trusted the header would allocate the whole image first.
        var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true)) z.Write(new byte[4096]);
        Chunk(ms, "IDAT", raw.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    public static void Chunk(Stream s, string type, byte[] data, uint? declaredLength = null)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(u32, declaredLength ?? (uint)data.Length);
        s.Write(u32);
        var t = Encoding.ASCII.GetBytes(type);
        s.Write(t);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(u32, Crc(t, data));
        s.Write(u32);
    }

    public static byte[] Jpeg(ushort width, ushort height)
    {
        var sof = new byte[] { 0xFF, 0xC0, 0, 17, 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1 };
        return [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, .. "JFIF\0"u8, 1, 1, 0, 0, 1, 0, 1, 0, 0, .. sof, 0xFF, 0xD9];
    }

    public static byte[] WebP(int width, int height)
    {
        var b = new byte[30];
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 22);
        "WEBPVP8X"u8.CopyTo(b.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 10);
        int w = width - 1, h = height - 1;
        b[24] = (byte)w; b[25] = (byte)(w >> 8); b[26] = (byte)(w >> 16);
        b[27] = (byte)h; b[28] = (byte)(h >> 8); b[29] = (byte)(h >> 16);
        return b;
    }

    public static byte[] Tiff(uint width, uint height)
    {
        var b = new byte[8 + 2 + 2 * 12 + 4];
        "II*\0"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(8), 2);
        void Entry(int i, ushort tag, uint value)
        {
            var e = b.AsSpan(10 + 12 * i);
            BinaryPrimitives.WriteUInt16LittleEndian(e, tag);
            BinaryPrimitives.WriteUInt16LittleEndian(e[2..], 4); // LONG
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], 1);
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], value);
        }
        Entry(0, 256, width);
        Entry(1, 257, height);
        return b;
    }

    static uint Crc(byte[] type, byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (var x in type.Concat(data))
        {
            c ^= x;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }
}
