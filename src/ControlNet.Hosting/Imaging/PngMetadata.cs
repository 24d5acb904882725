using System.Buffers.Binary;
using System.Text;

namespace ControlNet.Hosting.Imaging;

/// <summary>
/// Reads and writes PNG text chunks (PNG spec §11.3.4): <c>tEXt</c> for Latin-1 text, uncompressed <c>iTXt</c> (UTF-8)
/// otherwise. Used to store generation settings in output images. Keywords are 1–79 Latin-1 characters.
/// </summary>
public static class PngMetadata
{
    static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];
    static readonly Encoding Latin1 = Encoding.Latin1;

    /// <summary>Adds (or replaces) the entries in the PNG at <paramref name="path"/>, atomically.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, string> entries)
    {
        var updated = Add(File.ReadAllBytes(path), entries, path);
        AtomicFile.WriteAllBytes(path, updated);
    }

    /// <summary>All text entries (tEXt and uncompressed iTXt) of the PNG at <paramref name="path"/>, in file order.</summary>
    public static IReadOnlyDictionary<string, string> Read(string path) => Read(InputFile.ReadAllBytes(path), path);

    public static IReadOnlyDictionary<string, string> Read(byte[] png, string name = "PNG data")
    {
        var result = new Dictionary<string, string>();
        foreach (var (type, data) in Chunks(png, name))
        {
            if (type == "tEXt")
            {
                int zero = Array.IndexOf(data, (byte)0);
                if (zero <= 0) throw new InvalidDataException($"{name}: a tEXt chunk has no keyword separator; the file is damaged.");
                result[Latin1.GetString(data, 0, zero)] = Latin1.GetString(data, zero + 1, data.Length - zero - 1);
            }
            else if (type == "iTXt")
            {
                int zero = Array.IndexOf(data, (byte)0);
                if (zero <= 0 || data.Length < zero + 3) throw new InvalidDataException($"{name}: an iTXt chunk is malformed; the file is damaged.");
                if (data[zero + 1] != 0) continue; // compressed iTXt: not written by us, skipped
                int langEnd = Array.IndexOf(data, (byte)0, zero + 3);
                int transEnd = langEnd < 0 ? -1 : Array.IndexOf(data, (byte)0, langEnd + 1);
                if (transEnd < 0) throw new InvalidDataException($"{name}: an iTXt chunk is malformed; the file is damaged.");
                result[Latin1.GetString(data, 0, zero)] = Encoding.UTF8.GetString(data, transEnd + 1, data.Length - transEnd - 1);
            }
        }
        return result;
    }

    /// <summary>The PNG bytes with the entries inserted before IEND; existing text chunks with the same keywords are dropped.</summary>
    public static byte[] Add(byte[] png, IReadOnlyDictionary<string, string> entries, string name = "PNG data")
    {
        foreach (var key in entries.Keys) ValidateKeyword(key);
        using var output = new MemoryStream(png.Length + 256);
        output.Write(Signature);
        foreach (var (type, data) in Chunks(png, name))
        {
            if ((type == "tEXt" || type == "iTXt") && entries.ContainsKey(KeywordOf(data))) continue;
            if (type == "IEND")
                foreach (var (key, value) in entries)
                    WriteChunk(output, IsLatin1(value) ? "tEXt" : "iTXt", TextPayload(key, value));
            WriteChunk(output, type, data);
        }
        return output.ToArray();
    }

    static byte[] TextPayload(string key, string value)
    {
        var k = Latin1.GetBytes(key);
        if (IsLatin1(value)) return [.. k, 0, .. Latin1.GetBytes(value)];
        // iTXt: keyword 0, compression flag 0, method 0, empty language 0, empty translated keyword 0, UTF-8 text.
        return [.. k, 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes(value)];
    }

    static string KeywordOf(byte[] data)
    {
        int zero = Array.IndexOf(data, (byte)0);
        return zero < 0 ? "" : Latin1.GetString(data, 0, zero);
    }

    static bool IsLatin1(string s) => s.All(c => c <= 0xFF);

    static void ValidateKeyword(string key)
    {
        if (key.Length is < 1 or > 79 || !IsLatin1(key) || key.Contains('\0') || key != key.Trim())
            throw new ArgumentException($"PNG text keyword '{key}' is invalid: use 1–79 Latin-1 characters without leading/trailing spaces.");
    }

    static IEnumerable<(string Type, byte[] Data)> Chunks(byte[] png, string name)
    {
        if (png.Length < 8 || !png.AsSpan(0, 8).SequenceEqual(Signature))
            throw new InvalidDataException($"{name} is not a PNG file (signature missing).");
        int pos = 8;
        while (pos < png.Length)
        {
            if (pos + 12 > png.Length) throw new InvalidDataException($"{name}: truncated chunk at byte {pos}; the file is damaged.");
            // The PNG spec caps chunk lengths at 2^31 − 1; a larger (or any past-the-end) length is damage, not an overflow.
            long length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (pos + 12L + length > png.Length) throw new InvalidDataException($"{name}: chunk at byte {pos} runs past the end of the file; the file is damaged.");
            var type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, (int)length).ToArray();
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + (int)length));
            if (crc != Crc32.Compute(png.AsSpan(pos + 4, 4), data))
                throw new InvalidDataException($"{name}: CRC mismatch in the {type} chunk at byte {pos}; the file is damaged.");
            yield return (type, data);
            pos += 12 + (int)length;
            if (type == "IEND") yield break;
        }
        throw new InvalidDataException($"{name} has no IEND chunk; the file is truncated.");
    }

    static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(u32, (uint)data.Length);
        s.Write(u32);
        var t = Encoding.ASCII.GetBytes(type);
        s.Write(t);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(u32, Crc32.Compute(t, data));
        s.Write(u32);
    }
}
