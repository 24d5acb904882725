using System.Buffers.Binary;
using System.Text;

namespace ControlNet.Checkpoints.Pickle;

/// <summary>A small protocol-2 pickle emitter: the opcodes torch.save uses for a state dict, and nothing more.</summary>
public sealed class PickleWriter
{
    readonly MemoryStream _out = new();

    public PickleWriter Proto(byte version = 2) { Op(0x80); Op(version); return this; }
    public PickleWriter Mark() => Op((byte)'(');
    public PickleWriter Stop() => Op((byte)'.');
    public PickleWriter Tuple() => Op((byte)'t');
    public PickleWriter EmptyTuple() => Op((byte)')');
    public PickleWriter EmptyDict() => Op((byte)'}');
    public PickleWriter SetItems() => Op((byte)'u');
    public PickleWriter SetItem() => Op((byte)'s');
    public PickleWriter Reduce() => Op((byte)'R');
    public PickleWriter Build() => Op((byte)'b');
    public PickleWriter NewObj() => Op(0x81);
    public PickleWriter BinPersId() => Op((byte)'Q');
    public PickleWriter Bool(bool v) => Op(v ? (byte)0x88 : (byte)0x89);
    public PickleWriter None() => Op((byte)'N');

    public PickleWriter Global(string module, string name)
    {
        Op((byte)'c');
        _out.Write(Encoding.UTF8.GetBytes(module + "\n" + name + "\n"));
        return this;
    }

    public PickleWriter String(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op((byte)'X');
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(n, (uint)b.Length);
        _out.Write(n);
        _out.Write(b);
        return this;
    }

    public PickleWriter Int(long v)
    {
        if (v is >= 0 and < 256) { Op((byte)'K'); Op((byte)v); }
        else if (v is >= int.MinValue and <= int.MaxValue)
        {
            Op((byte)'J');
            Span<byte> b = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(b, (int)v);
            _out.Write(b);
        }
        else
        {
            Op(0x8a); Op(8); // LONG1 with 8 bytes, two's complement little-endian
            Span<byte> b = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(b, v);
            _out.Write(b);
        }
        return this;
    }

    public PickleWriter IntTuple(IEnumerable<long> values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }

    /// <summary>An empty <c>collections.OrderedDict()</c>.</summary>
    public PickleWriter OrderedDict() => Global("collections", "OrderedDict").EmptyTuple().Reduce();

    /// <summary>
    /// A tensor as torch.save writes it: <c>_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())</c>
    /// with the storage as the persistent id ("storage", torch.XStorage, key, "cpu", numel).
    /// </summary>
    public PickleWriter Tensor(TensorDType dtype, string storageKey, long storageNumel, long[] shape, long offset = 0, long[]? strides = null)
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Mark();
        Mark().String("storage").Global("torch", dtype.TorchStorageName()).String(storageKey).String("cpu").Int(storageNumel).Tuple().BinPersId();
        Int(offset);
        IntTuple(shape);
        IntTuple(strides ?? ContiguousStrides(shape));
        Bool(false);
        OrderedDict();
        Tuple();
        return Reduce();
    }

    public static long[] ContiguousStrides(long[] shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (var i = shape.Length - 1; i >= 0; i--) { s[i] = acc; acc *= Math.Max(shape[i], 1); }
        return s;
    }

    public byte[] ToArray() => _out.ToArray();

    PickleWriter Op(byte b) { _out.WriteByte(b); return this; }
}
