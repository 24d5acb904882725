using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ControlNet.Checkpoints;

/// <summary>
/// Reads a .safetensors file (REFERENCE §4.1) through a read-only memory map: tensors are copied straight from the
/// page cache into their destination, so loading a multi-GB file never holds a second managed copy.
/// Every rule of the reference reader is enforced before any tensor is handed out.
/// </summary>
public static class SafetensorsFile
{
    /// <summary>The Rust reader's limit on the JSON header.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public static StateDict Open(string path)
    {
        // Hub snapshots are symlinks to blobs: FileInfo.Length would be the link's own size.
        var info = new FileInfo(path);
        var length = (info.LinkTarget is null ? info : (FileInfo?)info.ResolveLinkTarget(returnFinalTarget: true) ?? info).Length;
        if (length < 8)
            throw Bad(path, $"the file has {length} bytes, fewer than the 8-byte header length; it is truncated or not a safetensors file.");
        var mmf = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MappedView? view = null;
        try
        {
            view = new MappedView(mmf, length);
            var header = ParseHeader(path, view.AsSpan(0, (int)Math.Min(length, 8 + Math.Min(MaxHeaderBytes, length))), length, out var dataStart);
            var tensors = header.Tensors.Select(e => (TensorRef)new MappedTensorRef(e.Name, e.DType, e.Shape, view, dataStart + e.Begin)).ToList();
            return new StateDict(tensors, header.Metadata, path, "safetensors", view);
        }
        catch
        {
            if (view is not null) view.Dispose(); else mmf.Dispose();
            throw;
        }
    }

    public sealed record Entry(string Name, TensorDType DType, long[] Shape, long Begin, long End);
    public sealed record Header(IReadOnlyList<Entry> Tensors, IReadOnlyDictionary<string, string> Metadata);

    /// <summary>Parses and validates the header given the first bytes of the file and its total length.</summary>
    public static Header ParseHeader(string path, ReadOnlySpan<byte> start, long fileLength, out long dataStart)
    {
        if (start.Length < 8) throw Bad(path, "the file is shorter than the 8-byte header length.");
        var n = BitConverter.ToUInt64(start[..8]);
        if (n > MaxHeaderBytes)
            throw Bad(path, $"the header length field says {n:N0} bytes, above the {MaxHeaderBytes:N0}-byte limit; the file is corrupt or not safetensors.");
        if ((long)n + 8 > fileLength)
            throw Bad(path, $"the header length field says {n:N0} bytes but only {fileLength - 8:N0} follow; the file is truncated.");
        dataStart = 8 + (long)n;
        var bufferLength = fileLength - dataStart;
        var json = start.Slice(8, (int)n);

        JsonDocument doc;
        try { doc = JsonDocument.Parse(json.ToArray()); }
        catch (JsonException e) { throw Bad(path, $"the header is not valid JSON ({e.Message})."); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "the header is not a JSON object.");
            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(p.Name)) throw Bad(path, $"the header names '{p.Name}' twice.");
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind != JsonValueKind.Object) throw Bad(path, "__metadata__ must be an object of string → string.");
                    foreach (var m in p.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw Bad(path, $"__metadata__ entry '{m.Name}' is a {m.Value.ValueKind}; the format allows only string values.");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(path, p));
            }

            // Offsets must tile the data buffer exactly: sorted by begin, no gap, no overlap, last end = buffer length.
            entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            long expected = 0;
            foreach (var e in entries)
            {
                if (e.Begin != expected)
                    throw Bad(path, e.Begin < expected
                        ? $"tensor '{e.Name}' starts at byte {e.Begin} inside the previous tensor (which ends at {expected}); offsets overlap."
                        : $"tensor '{e.Name}' starts at byte {e.Begin} but the previous tensor ends at {expected}; the data buffer has a gap.");
                if (e.End > bufferLength)
                    throw Bad(path, $"tensor '{e.Name}' ends at byte {e.End} of the data buffer, past its end ({bufferLength}); the file is truncated or the offsets are wrong.");
                expected = e.End;
            }
            if (expected != bufferLength)
                throw Bad(path, $"the tensors cover {expected:N0} bytes but the data buffer has {bufferLength:N0}; the file has trailing bytes or is truncated.");
            return new Header(entries, metadata);
        }
    }

    static Entry ParseEntry(string path, JsonProperty p)
    {
        var v = p.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Bad(path, $"entry '{p.Name}' is not an object.");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad(path, $"tensor '{p.Name}' has no dtype string.");
        if (!TensorDTypes.TryParseSafetensorsName(dt.GetString()!, out var dtype))
            throw Bad(path, $"tensor '{p.Name}' has unknown dtype '{dt.GetString()}'; known: {string.Join(", ", Enum.GetValues<TensorDType>().Select(x => x.SafetensorsName()))}.");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad(path, $"tensor '{p.Name}' has no shape array.");
        var shape = new long[sh.GetArrayLength()];
        var i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var x) || x < 0)
                throw Bad(path, $"tensor '{p.Name}' has an invalid dimension {d.GetRawText()}; dimensions are non-negative integers.");
            shape[i++] = x;
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad(path, $"tensor '{p.Name}' needs data_offsets [begin, end].");
        var b = off[0].ValueKind == JsonValueKind.Number && off[0].TryGetInt64(out var bb) ? bb : -1;
        var e = off[1].ValueKind == JsonValueKind.Number && off[1].TryGetInt64(out var ee) ? ee : -1;
        if (b < 0 || e < b) throw Bad(path, $"tensor '{p.Name}' has invalid data_offsets [{off[0].GetRawText()}, {off[1].GetRawText()}].");
        long numel;
        try { numel = shape.Aggregate(1L, (a, x) => checked(a * x)); var bytes = checked(numel * dtype.Size()); if (bytes != e - b) throw Bad(path, $"tensor '{p.Name}' is {dtype.SafetensorsName()} [{string.Join(", ", shape)}] = {bytes:N0} bytes but its data_offsets span {e - b:N0}."); }
        catch (OverflowException) { throw Bad(path, $"tensor '{p.Name}' has a shape whose size overflows."); }
        return new Entry(p.Name, dtype, shape, b, e);
    }

    static InvalidDataException Bad(string path, string why) =>
        new($"'{path}' is not a valid safetensors file: {why} Re-download the file (or re-save it with the safetensors library).");

    /// <summary>A pinned pointer into a read-only memory map, released when the state dict is disposed.</summary>
    internal sealed unsafe class MappedView : IDisposable
    {
        readonly MemoryMappedFile _file;
        readonly MemoryMappedViewAccessor _accessor;
        readonly byte* _pointer;
        public long Length { get; }

        public MappedView(MemoryMappedFile file, long length)
        {
            _file = file;
            Length = length;
            _accessor = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            _accessor.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _pointer = p + _accessor.PointerOffset;
        }

        public ReadOnlySpan<byte> AsSpan(long offset, int count)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (offset < 0 || offset + count > Length) throw new ArgumentOutOfRangeException(nameof(offset));
            return new ReadOnlySpan<byte>(_pointer + offset, count);
        }

        /// <summary>
        /// Takes the mapped pages of [offset, offset + count) out of the process's resident set once a tensor has been
        /// copied out (Linux <c>madvise(MADV_DONTNEED)</c> on the read-only file mapping: the page cache keeps them and a
        /// later read faults them back in). Without it every page read stays resident until the file is closed, so loading
        /// a model held its weights twice in RSS: once in the modules, once mapped.
        /// </summary>
        public void DropPages(long offset, long count)
        {
            if (!OperatingSystem.IsLinux() || count <= 0 || _disposed) return;
            long page = Environment.SystemPageSize;
            long start = (long)(_pointer + offset) & ~(page - 1);                     // whole pages: the mapping starts on one
            long end = ((long)(_pointer + offset + count) + page - 1) & ~(page - 1);
            _ = madvise((IntPtr)start, (UIntPtr)(ulong)(end - start), MadviseDontNeed);   // advice only: a failure leaves the pages resident
        }

        const int MadviseDontNeed = 4;

        [DllImport("libc", SetLastError = true)]
        static extern int madvise(IntPtr address, UIntPtr length, int advice);

        bool _disposed;
        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _accessor.SafeMemoryMappedViewHandle.ReleasePointer();
            _accessor.Dispose();
            _file.Dispose();
        }
    }

    sealed class MappedTensorRef(string name, TensorDType dtype, long[] shape, MappedView view, long offset) : TensorRef(name, dtype, shape)
    {
        public override void ReadBytes(Span<byte> destination)
        {
            if (ByteLength == 0) return;
            view.AsSpan(offset, checked((int)ByteLength)).CopyTo(destination);
            view.DropPages(offset, ByteLength);
        }
    }
}
