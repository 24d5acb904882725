using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Checkpoints;

/// <summary>
/// One named tensor of a weights file, known by dtype and shape before any byte is read.
/// Inspect and key mapping work on these; bytes are read (from a memory map or a zip entry)
/// only when <see cref="ReadBytes"/> or <see cref="ToTensor"/> is called.
/// </summary>
public abstract class TensorRef
{
    protected TensorRef(string name, TensorDType dtype, long[] shape)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        NumElements = Checked(shape);
        ByteLength = CheckedBytes(NumElements, dtype.Size(), shape);
    }

    public string Name { get; }
    public TensorDType DType { get; }
    public long[] Shape { get; }
    public long NumElements { get; }
    public long ByteLength { get; }

    /// <summary>Copies the tensor's contiguous little-endian bytes (in <see cref="DType"/>) into <paramref name="destination"/>.</summary>
    public abstract void ReadBytes(Span<byte> destination);

    /// <summary>Materialises the tensor on the CPU, converted to <paramref name="dtype"/> when given.</summary>
    public Tensor ToTensor(ScalarType? dtype = null)
    {
        var own = DType.ToScalarType();
        // Checked before allocating: a hostile header can declare any shape.
        if (ByteLength > int.MaxValue)
            throw new NotSupportedException($"Tensor '{Name}' has {ByteLength:N0} bytes; tensors above 2 GiB are not supported.");
        var t = empty(Shape, own);
        if (ByteLength > 0)
            ReadBytes(Span(t));
        if (dtype is null || dtype == own) return t;
        using (t) return t.to_type(dtype.Value);
    }

    /// <summary>The same bytes under another name and (element-count-preserving) shape: key mapping and 1×1-conv ↔ linear reshapes.</summary>
    public TensorRef As(string name, long[]? shape = null)
    {
        if (shape is not null && Checked(shape) != NumElements)
            throw new ArgumentException($"Cannot view '{Name}' [{string.Join(", ", Shape)}] as [{string.Join(", ", shape)}]: element counts differ.");
        return new AliasTensorRef(this, name, shape ?? Shape);
    }

    /// <summary>The tensor converted to <paramref name="dtype"/> when read (no-op when it already has it or is not floating point).</summary>
    public TensorRef ConvertedTo(TensorDType? dtype) =>
        dtype is null || dtype == DType || !DType.IsFloatingPoint() ? this : new ConvertedTensorRef(this, dtype.Value);

    public override string ToString() => $"{Name} {DType.SafetensorsName()} [{string.Join(", ", Shape)}]";

    /// <summary>A writable span over a contiguous CPU tensor's storage.</summary>
    public static unsafe Span<byte> Span(Tensor t)
    {
        if (t.device_type != DeviceType.CPU || !t.is_contiguous())
            throw new ArgumentException("Expected a contiguous CPU tensor.");
        var bytes = t.NumberOfElements * t.ElementSize;
        if (bytes > int.MaxValue) throw new NotSupportedException("Tensors above 2 GiB are not supported.");
        System.Span<byte> s = t.bytes; return s;
    }

    static long Checked(long[] shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new InvalidDataException($"Negative dimension {d} in shape [{string.Join(", ", shape)}].");
            if (d != 0 && n > long.MaxValue / d) throw TooLarge(shape);
            n *= d;
        }
        return n;
    }

    static long CheckedBytes(long elements, int size, long[] shape) =>
        elements > long.MaxValue / Math.Max(size, 1) ? throw TooLarge(shape) : elements * size;

    static InvalidDataException TooLarge(long[] shape) =>
        new($"Shape [{string.Join(", ", shape)}] has more elements than any tensor can hold; the file is corrupt or hostile.");

    sealed class AliasTensorRef(TensorRef inner, string name, long[] shape) : TensorRef(name, inner.DType, shape)
    {
        public override void ReadBytes(Span<byte> destination) => inner.ReadBytes(destination);
    }

    sealed class ConvertedTensorRef(TensorRef inner, TensorDType dtype) : TensorRef(inner.Name, dtype, inner.Shape)
    {
        public override void ReadBytes(Span<byte> destination)
        {
            using var t = inner.ToTensor(DType.ToScalarType());
            Span(t).CopyTo(destination);
        }
    }
}

/// <summary>A tensor already in memory (results of transfer, random init, tests).</summary>
public sealed class InMemoryTensorRef : TensorRef
{
    readonly Tensor _tensor;

    public InMemoryTensorRef(string name, Tensor tensor)
        : base(name, TensorDTypes.FromScalarType(tensor.dtype), tensor.shape)
    {
        _tensor = tensor.cpu().contiguous();
    }

    public override void ReadBytes(Span<byte> destination)
    {
        if (ByteLength > 0) Span(_tensor).CopyTo(destination);
    }
}

/// <summary>A tensor computed when read, so a writer can stream multi-GB files without holding them (random init).</summary>
public sealed class ComputedTensorRef(string name, TensorDType dtype, long[] shape, Func<Tensor> compute) : TensorRef(name, dtype, shape)
{
    public override void ReadBytes(Span<byte> destination)
    {
        // The computation's intermediates (rand, scaling, shifting) are freed here, not by the finaliser: a writer
        // streaming gigabytes of random weights would otherwise hold them all (16.7 GB peak for the 5.7 GB of SD 1.5).
        using var scope = NewDisposeScope();
        var t = compute();
        var c = t.to_type(DType.ToScalarType()).contiguous();
        if (!c.shape.SequenceEqual(Shape))
            throw new InvalidOperationException($"Computed tensor '{Name}' has shape [{string.Join(", ", c.shape)}], expected [{string.Join(", ", Shape)}].");
        Span(c).CopyTo(destination);
    }
}
