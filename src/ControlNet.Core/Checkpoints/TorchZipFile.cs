using System.IO.Compression;
using ControlNet.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace ControlNet.Checkpoints;

/// <summary>
/// Reads PyTorch zip checkpoints (.pth/.ckpt/.bin; REFERENCE §4.2): <c>&lt;root&gt;/data.pkl</c> through the restricted
/// unpickler, tensors lazily from <c>&lt;root&gt;/data/&lt;key&gt;</c>. Zip64 (files above 4 GB) is handled by System.IO.Compression.
/// A Lightning checkpoint's <c>state_dict</c> entry is unwrapped; nested dicts are flattened with dots.
/// </summary>
public static class TorchZipFile
{
    public static bool LooksLikeZip(string path)
    {
        using var fs = File.OpenRead(path);
        Span<byte> b = stackalloc byte[4];
        return fs.Read(b) == 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4;
    }

    public static StateDict Open(string path, PickleLimits? limits = null)
    {
        limits ??= PickleLimits.Default;
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' is not a readable PyTorch zip checkpoint ({e.Message}); it is truncated or corrupt. Re-download it.", e);
        }
        try
        {
            if (zip.Entries.Count > MaxEntries)
                throw new InvalidDataException($"'{path}' has {zip.Entries.Count:N0} zip entries (limit {MaxEntries:N0}); a checkpoint has one per tensor storage. The file is corrupt or hostile.");
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl")
                ?? throw new InvalidDataException($"'{path}' is a zip file but has no data.pkl record, so it is not a torch.save checkpoint.");
            var root = pkl.FullName[..^"data.pkl".Length];
            var bytes = ReadAll(pkl, path);
            var reader = new ZipReader(zip, root, path);
            var unpickler = new RestrictedUnpickler(Path.GetFileName(path), reader.PersistentLoad, reader.RebuildTensor, limits);
            var obj = unpickler.Load(bytes);
            var tensors = new List<TensorRef>();
            var other = new List<string>();
            Flatten(Unwrap(obj, path), tensors, other, limits.MaxDepth, path);
            return new StateDict(tensors, null, path, "torch-zip", zip) { NonTensorEntries = other };
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    /// <summary>Lightning checkpoints keep the weights under "state_dict"; plain torch.save(state_dict) files are the dict itself.</summary>
    static PickleDict Unwrap(object? obj, string path)
    {
        if (obj is not PickleDict d)
            throw new InvalidDataException($"'{path}' holds a pickled {obj?.GetType().Name ?? "None"}, not a state dict. Save the model with torch.save(model.state_dict()).");
        return d.Get("state_dict") is PickleDict inner && !d.Items.Any(kv => kv.Value is TensorRef) ? inner : d;
    }

    /// <summary>
    /// Nested dicts become dotted keys. Iterative with a visited set and a depth bound: a hostile pickle can nest a dict
    /// in itself (a cycle) or chain thousands of dicts, and recursion would overflow the stack.
    /// </summary>
    static void Flatten(PickleDict root, List<TensorRef> tensors, List<string> other, int maxDepth, string path)
    {
        var visited = new HashSet<PickleDict>(ReferenceEqualityComparer.Instance) { root };
        // A stack of (dict, next item, prefix) keeps the file's key order, as a recursive walk would.
        var pending = new Stack<(PickleDict Dict, int Next, string Prefix)>();
        pending.Push((root, 0, ""));
        while (pending.Count > 0)
        {
            var (d, next, prefix) = pending.Pop();
            if (next >= d.Items.Count) continue;
            pending.Push((d, next + 1, prefix));
            var (k, v) = d.Items[next];
            var name = prefix + (k as string ?? k?.ToString() ?? "None");
            switch (v)
            {
                case TensorRef t: tensors.Add(t.Name == name ? t : t.As(name)); break;
                case PickleDict inner when inner.Items.Any(kv => kv.Value is TensorRef or PickleDict):
                    if (!visited.Add(inner))
                        throw new InvalidDataException($"'{path}': the state dict contains itself under '{name}' (a cycle); the file is corrupt or hostile.");
                    if (pending.Count > maxDepth)
                        throw new InvalidDataException($"'{path}': state dict nesting under '{name}' is deeper than {maxDepth}; the file is corrupt or hostile.");
                    pending.Push((inner, 0, name + "."));
                    break;
                default: other.Add(name); break;
            }
        }
    }

    /// <summary>data.pkl of the largest public checkpoints is about a megabyte; a far larger one is hostile or corrupt.</summary>
    const long MaxPickleBytes = 256L << 20;

    /// <summary>torch.save stores records uncompressed; a deflated data.pkl that expands more than this is a zip bomb.</summary>
    const long MaxCompressionRatio = 100;

    /// <summary>One record per storage plus a few; SD 1.5 with EMA and optimizer state has a few thousand.</summary>
    const int MaxEntries = 200_000;

    static byte[] ReadAll(ZipArchiveEntry e, string path)
    {
        if (e.Length > MaxPickleBytes)
            throw new InvalidDataException($"'{path}': {e.FullName} declares {e.Length:N0} bytes, far more than any state dict pickle (limit {MaxPickleBytes:N0}); the file is corrupt or hostile.");
        if (e.Length > (1 << 20) && e.Length > MaxCompressionRatio * Math.Max(e.CompressedLength, 1))
            throw new InvalidDataException($"'{path}': {e.FullName} expands {e.CompressedLength:N0} bytes into {e.Length:N0} (more than {MaxCompressionRatio}:1, a zip bomb); the file is corrupt or hostile.");
        using var s = e.Open();
        var buffer = new byte[e.Length];
        // The declared length is a claim: a record that ends early is truncated, one that runs on is ignored past it.
        try { s.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw new InvalidDataException($"'{path}': {e.FullName} is shorter than its declared {e.Length:N0} bytes; the file is truncated. Re-download it."); }
        return buffer;
    }

    sealed record Storage(string Key, TensorDType DType, long Numel);

    sealed class ZipReader(ZipArchive zip, string root, string path)
    {
        readonly object _gate = new();

        public object? PersistentLoad(PickleTuple pid)
        {
            // ("storage", torch.FloatStorage, "0", "cpu", numel)
            if (pid.Count < 5 || pid[0] is not "storage" || pid[1] is not PickleGlobal type || pid[2] is not string key || pid[4] is not long numel)
                throw new InvalidDataException($"'{path}': unexpected persistent id {string.Join(", ", pid.Items)}; expected a torch storage.");
            if (!TensorDTypes.TryParseTorchStorageName(type.Name, out var dtype))
                throw new InvalidDataException($"'{path}': unsupported storage type {type.FullName}.");
            var entry = zip.GetEntry(root + "data/" + key)
                ?? throw new InvalidDataException($"'{path}': storage record '{root}data/{key}' is missing; the file is truncated or corrupt. Re-download it.");
            if (numel < 0 || numel > entry.Length / dtype.Size())
                throw new InvalidDataException($"'{path}': storage '{key}' has {entry.Length} bytes but {type.Name} × {numel} needs {numel * dtype.Size()}; the file is corrupt.");
            return new Storage(key, dtype, numel);
        }

        public object? RebuildTensor(PickleGlobal f, object?[] args)
        {
            // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            if (args.Length < 4 || args[0] is not Storage st || args[1] is not long offset || args[2] is not PickleTuple size || args[3] is not PickleTuple stride)
                throw new InvalidDataException($"'{path}': malformed {f.Name} arguments.");
            var shape = size.Items.Select(x => x is long l ? l : throw new InvalidDataException($"'{path}': non-integer tensor size.")).ToArray();
            var strides = stride.Items.Select(x => x is long l ? l : throw new InvalidDataException($"'{path}': non-integer tensor stride.")).ToArray();
            if (shape.Length != strides.Length) throw new InvalidDataException($"'{path}': tensor size and stride ranks differ.");
            if (offset < 0 || strides.Any(s => s < 0) || shape.Any(d => d < 0))
                throw new InvalidDataException($"'{path}': a tensor view of storage '{st.Key}' has a negative offset, size or stride; the file is corrupt.");
            // Sizes and strides come from the file: sums that overflow mean the view cannot lie inside the storage.
            long maxIndex = offset;
            try
            {
                for (var i = 0; i < shape.Length; i++) if (shape[i] > 0) maxIndex = checked(maxIndex + (shape[i] - 1) * strides[i]);
            }
            catch (OverflowException) { maxIndex = long.MaxValue; }
            if (shape.All(d => d > 0) && maxIndex >= st.Numel)
                throw new InvalidDataException($"'{path}': a tensor view reaches element {maxIndex} of storage '{st.Key}' which has {st.Numel}; the file is corrupt.");
            return new ZipTensorRef(this, st, offset, shape, strides);
        }

        /// <summary>Streams bytes [start, start+count) of a storage record into <paramref name="dest"/>.</summary>
        public void Read(Storage st, long start, Span<byte> dest)
        {
            lock (_gate)
            {
                var entry = zip.GetEntry(root + "data/" + st.Key)!;
                using var s = entry.Open();
                if (s.CanSeek) s.Seek(start, SeekOrigin.Begin);
                else Skip(s, start);
                s.ReadExactly(dest);
            }
        }

        static void Skip(Stream s, long n)
        {
            var buf = new byte[Math.Min(n, 1 << 20)];
            while (n > 0) { var r = s.Read(buf, 0, (int)Math.Min(n, buf.Length)); if (r == 0) throw new EndOfStreamException(); n -= r; }
        }
    }

    sealed class ZipTensorRef(ZipReader reader, Storage storage, long offset, long[] shape, long[] strides) : TensorRef("", storage.DType, shape)
    {
        public override void ReadBytes(Span<byte> destination)
        {
            if (ByteLength == 0) return;
            var size = DType.Size();
            if (IsContiguous())
            {
                reader.Read(storage, offset * size, destination[..checked((int)ByteLength)]);
                return;
            }
            // A strided view (rare in state dicts): read the whole storage, let libtorch gather the view.
            using var all = empty(new[] { storage.Numel }, DType.ToScalarType());
            reader.Read(storage, 0, Span(all));
            using var view = all.as_strided(Shape, strides, offset).contiguous();
            Span(view).CopyTo(destination);
        }

        bool IsContiguous()
        {
            long expected = 1;
            for (var i = Shape.Length - 1; i >= 0; i--)
            {
                if (Shape[i] != 1 && strides[i] != expected) return false;
                expected *= Shape[i];
            }
            return true;
        }
    }
}
