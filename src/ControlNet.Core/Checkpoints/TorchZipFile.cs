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

    public static StateDict Open(string path)
    {
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' is not a readable PyTorch zip checkpoint ({e.Message}); it is truncated or corrupt. Re-download it.", e);
        }
        try
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl")
                ?? throw new InvalidDataException($"'{path}' is a zip file but has no data.pkl record, so it is not a torch.save checkpoint.");
            var root = pkl.FullName[..^"data.pkl".Length];
            var bytes = ReadAll(pkl, path);
            var reader = new ZipReader(zip, root, path);
            var unpickler = new RestrictedUnpickler(Path.GetFileName(path), reader.PersistentLoad, reader.RebuildTensor);
            var obj = unpickler.Load(bytes);
            var tensors = new List<TensorRef>();
            var other = new List<string>();
            Flatten(Unwrap(obj, path), "", tensors, other);
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

    static void Flatten(PickleDict d, string prefix, List<TensorRef> tensors, List<string> other)
    {
        foreach (var (k, v) in d.Items)
        {
            var name = prefix + (k as string ?? k?.ToString() ?? "None");
            switch (v)
            {
                case TensorRef t: tensors.Add(t.Name == name ? t : t.As(name)); break;
                case PickleDict inner when inner.Items.Any(kv => kv.Value is TensorRef or PickleDict): Flatten(inner, name + ".", tensors, other); break;
                default: other.Add(name); break;
            }
        }
    }

    /// <summary>data.pkl of the largest public checkpoints is about a megabyte; a far larger one is hostile or corrupt.</summary>
    const long MaxPickleBytes = 256L << 20;

    static byte[] ReadAll(ZipArchiveEntry e, string path)
    {
        if (e.Length > MaxPickleBytes)
            throw new InvalidDataException($"'{path}': {e.FullName} declares {e.Length:N0} bytes, far more than any state dict pickle (limit {MaxPickleBytes:N0}); the file is corrupt or hostile.");
        using var s = e.Open();
        var buffer = new byte[e.Length];
        s.ReadExactly(buffer);
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
            if (entry.Length < numel * dtype.Size())
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
            long maxIndex = offset;
            for (var i = 0; i < shape.Length; i++) if (shape[i] > 0) maxIndex += (shape[i] - 1) * strides[i];
            if (offset < 0 || (shape.All(d => d > 0) && maxIndex >= st.Numel))
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
