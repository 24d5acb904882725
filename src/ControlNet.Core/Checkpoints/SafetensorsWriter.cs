using System.Buffers;
using System.Text;
using System.Text.Json;

namespace ControlNet.Checkpoints;

/// <summary>Writes .safetensors files as the reference writer does (REFERENCE §4.1): sorted by alignment then name, header padded to 8 bytes.</summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IEnumerable<TensorRef> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.OrderByDescending(t => t.DType.Size()).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = BuildHeader(list, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BitConverter.TryWriteBytes(len, (ulong)header.Length);
            stream.Write(len);
            stream.Write(header);
            foreach (var t in list) WriteTensor(stream, t);
        });
    }

    internal static void WriteTensor(Stream stream, TensorRef t)
    {
        if (t.ByteLength == 0) return;
        var buffer = ArrayPool<byte>.Shared.Rent(checked((int)t.ByteLength));
        try
        {
            var span = buffer.AsSpan(0, (int)t.ByteLength);
            t.ReadBytes(span);
            stream.Write(span);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    static byte[] BuildHeader(IReadOnlyList<TensorRef> list, IReadOnlyDictionary<string, string>? metadata)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in list)
            {
                if (t.Name == "__metadata__") throw new ArgumentException("A tensor cannot be named __metadata__.");
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType.SafetensorsName());
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += t.ByteLength;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        var pad = (8 - ms.Length % 8) % 8;
        for (var i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }
}
