using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace ControlNet.Checkpoints.Pickle;

/// <summary>
/// A pickle reader for weights files that is a security boundary: it interprets the opcodes a torch state dict uses
/// (protocols 0–5) and resolves globals against an allow-list. A global outside the list (os.system, builtins.eval,
/// subprocess.Popen, ...) stops the read with an error at the GLOBAL opcode, before any REDUCE could use it.
/// Allowed callables are interpreted by this class (tensor rebuild, OrderedDict) or kept as inert data.
/// </summary>
public sealed class RestrictedUnpickler
{
    /// <summary>Callables the reader knows how to interpret.</summary>
    static readonly HashSet<string> Interpreted = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch.Size", "_codecs.encode",
    };

    /// <summary>Harmless classes recorded as data (numpy scalars in Lightning metadata, torch dtypes).</summary>
    static readonly HashSet<string> Inert = new(StringComparer.Ordinal)
    {
        "numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar", "numpy.dtype",
        "numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct", "numpy.ndarray",
        "torch.float32", "torch.float16", "torch.bfloat16", "torch.float64", "torch.int64", "torch.int32", "torch.uint8", "torch.bool",
        "torch.device", "argparse.Namespace",
    };

    /// <summary>Lightning writes its callbacks' state keyed by class; these are kept as names (stubs) and never instantiated.</summary>
    static readonly string[] InertModulePrefixes =
    {
        "pytorch_lightning.callbacks.", "lightning.pytorch.callbacks.", "lightning_fabric.", "pytorch_lightning.trainer.states.",
    };

    readonly Func<PickleTuple, object?>? _persistentLoad;
    readonly Func<PickleGlobal, object?[], object?>? _rebuildTensor;
    readonly string _source;
    readonly PickleLimits _limits;

    /// <param name="source">file name for error messages</param>
    /// <param name="persistentLoad">resolves BINPERSID tuples (torch storages)</param>
    /// <param name="rebuildTensor">builds a tensor from _rebuild_tensor(_v2) arguments</param>
    /// <param name="limits">bounds on objects and memo size (<see cref="PickleLimits.Default"/> when null)</param>
    public RestrictedUnpickler(string source, Func<PickleTuple, object?>? persistentLoad = null, Func<PickleGlobal, object?[], object?>? rebuildTensor = null, PickleLimits? limits = null)
    {
        _source = source;
        _limits = limits ?? PickleLimits.Default;
        _persistentLoad = persistentLoad;
        _rebuildTensor = rebuildTensor;
    }

    public static bool IsAllowed(string module, string name)
    {
        var full = module + "." + name;
        if (Interpreted.Contains(full) || Inert.Contains(full)) return true;
        if (module == "torch" && name.EndsWith("Storage", StringComparison.Ordinal) && TensorDTypes.TryParseTorchStorageName(name, out _)) return true;
        return InertModulePrefixes.Any(p => full.StartsWith(p, StringComparison.Ordinal)) && !name.Contains("__");
    }

    public object? Load(byte[] data)
    {
        var stack = new List<object?>();
        var marks = new Stack<int>();
        var memo = new Dictionary<long, object?>();
        var pos = 0;
        long created = 0;

        byte U8() => pos < data.Length ? data[pos++] : throw Truncated();
        ReadOnlySpan<byte> Take(byte[] d, long n)
        {
            if (n < 0 || pos + n > d.Length) throw Truncated();
            var s = d.AsSpan(pos, (int)n);
            pos += (int)n;
            return s;
        }
        string Line(byte[] d)
        {
            var i = d.AsSpan(pos).IndexOf((byte)10);
            if (i < 0) throw Truncated();
            var s = Encoding.UTF8.GetString(d, pos, i);
            pos += i + 1;
            return s;
        }
        object? Pop() => stack.Count > 0 ? PopAt(stack.Count - 1) : throw Corrupt("stack underflow");
        object? PopAt(int i) { var v = stack[i]; stack.RemoveAt(i); return v; }
        object? Top() => stack.Count > 0 ? stack[^1] : throw Corrupt("stack underflow");
        object?[] PopMark()
        {
            if (marks.Count == 0) throw Corrupt("MARK expected");
            var m = marks.Pop();
            var items = stack.GetRange(m, stack.Count - m).ToArray();
            stack.RemoveRange(m, stack.Count - m);
            return items;
        }

        while (true)
        {
            var at = pos;
            var op = U8();
            // Every opcode creates at most a few values; counting opcodes bounds objects, and PUT opcodes bound the memo.
            if (++created > _limits.MaxObjects)
                throw Limit($"more than {_limits.MaxObjects:N0} objects");
            if (memo.Count > _limits.MaxMemo)
                throw Limit($"more than {_limits.MaxMemo:N0} memo entries");
            switch (op)
            {
                case 0x80: var proto = U8(); if (proto > 5) throw Corrupt($"pickle protocol {proto} is newer than 5"); break; // PROTO
                case 0x95: Take(data, 8); break; // FRAME: a size hint only
                case (byte)'.': // STOP
                    return Pop();
                case (byte)'(': marks.Push(stack.Count); break; // MARK
                case (byte)'}': stack.Add(new PickleDict()); break; // EMPTY_DICT
                case (byte)']': stack.Add(new List<object?>()); break; // EMPTY_LIST
                case (byte)')': stack.Add(new PickleTuple(Array.Empty<object?>())); break; // EMPTY_TUPLE
                case 0x8f: stack.Add(new List<object?>()); break; // EMPTY_SET (as a list; order irrelevant for us)
                case (byte)'t': stack.Add(new PickleTuple(PopMark())); break; // TUPLE
                case 0x85: stack.Add(new PickleTuple(new[] { Pop() })); break; // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new PickleTuple(new[] { a, b })); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new PickleTuple(new[] { a, b, c })); break; }
                case (byte)'l': stack.Add(PopMark().ToList()); break; // LIST
                case (byte)'d': // DICT
                    {
                        var items = PopMark();
                        var d = new PickleDict();
                        for (var i = 0; i + 1 < items.Length; i += 2) d.Set(items[i], items[i + 1]);
                        stack.Add(d);
                        break;
                    }
                case 0x91: stack.Add(new PickleTuple(PopMark())); break; // FROZENSET
                case 0x90: { var items = PopMark(); if (Top() is List<object?> set) set.AddRange(items); else throw Corrupt("ADDITEMS on a non-set"); break; }
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4))); break; // BININT
                case (byte)'K': stack.Add((long)U8()); break; // BININT1
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(data, 2))); break; // BININT2
                case 0x8a: stack.Add(Long(Take(data, U8()))); break; // LONG1
                case 0x8b: stack.Add(Long(Take(data, LongLength(BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4)))))); break; // LONG4
                case (byte)'I': // INT (text)
                    {
                        var s = Line(data);
                        stack.Add(s == "01" ? true : s == "00" ? false : TextInteger(s, "INT"));
                        break;
                    }
                case (byte)'L': stack.Add(TextInteger(Line(data).TrimEnd('L'), "LONG")); break;
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(data, 8))); break; // BINFLOAT
                case (byte)'F': stack.Add(TextFloat(Line(data))); break;
                case 0x8c: stack.Add(Encoding.UTF8.GetString(Take(data, U8()))); break; // SHORT_BINUNICODE
                case (byte)'X': stack.Add(Encoding.UTF8.GetString(Take(data, BinaryPrimitives.ReadUInt32LittleEndian(Take(data, 4))))); break;
                case 0x8d: stack.Add(Encoding.UTF8.GetString(Take(data, (long)BinaryPrimitives.ReadUInt64LittleEndian(Take(data, 8))))); break;
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Take(data, U8()))); break; // SHORT_BINSTRING
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Take(data, BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4))))); break;
                case (byte)'C': stack.Add(Take(data, U8()).ToArray()); break; // SHORT_BINBYTES
                case (byte)'B': stack.Add(Take(data, BinaryPrimitives.ReadUInt32LittleEndian(Take(data, 4))).ToArray()); break;
                case 0x8e: stack.Add(Take(data, (long)BinaryPrimitives.ReadUInt64LittleEndian(Take(data, 8))).ToArray()); break; // BINBYTES8
                case 0x96: stack.Add(Take(data, (long)BinaryPrimitives.ReadUInt64LittleEndian(Take(data, 8))).ToArray()); break; // BYTEARRAY8
                case (byte)'V': stack.Add(Line(data)); break; // UNICODE (raw-unicode-escape; ASCII in practice)
                case (byte)'S': stack.Add(Line(data).Trim('\'', '"')); break; // STRING
                case (byte)'q': memo[U8()] = Top(); break; // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(data, 4))] = Top(); break; // LONG_BINPUT
                case (byte)'p': memo[MemoKey(Line(data), "PUT")] = Top(); break; // PUT
                case 0x94: memo[memo.Count] = Top(); break; // MEMOIZE
                case (byte)'h': stack.Add(Memo(memo, U8())); break; // BINGET
                case (byte)'j': stack.Add(Memo(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(data, 4)))); break;
                case (byte)'g': stack.Add(Memo(memo, MemoKey(Line(data), "GET"))); break;
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': stack.Add(Top()); break; // DUP
                case (byte)'c': // GLOBAL "module\nname\n"
                    {
                        var module = Line(data);
                        var name = Line(data);
                        stack.Add(Resolve(module, name));
                        break;
                    }
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop() as string ?? throw Corrupt("STACK_GLOBAL needs strings");
                        var module = Pop() as string ?? throw Corrupt("STACK_GLOBAL needs strings");
                        stack.Add(Resolve(module, name));
                        break;
                    }
                case (byte)'i': // INST (protocol 0): module, name, then MARKed args
                    {
                        var g = Resolve(Line(data), Line(data));
                        stack.Add(Call(g, PopMark()));
                        break;
                    }
                case (byte)'o': // OBJ
                    {
                        var items = PopMark();
                        if (items.Length == 0 || items[0] is not PickleGlobal g) throw Corrupt("OBJ without a class");
                        stack.Add(Call(g, items[1..]));
                        break;
                    }
                case (byte)'R': // REDUCE
                    {
                        var args = Pop() as PickleTuple ?? throw Corrupt("REDUCE arguments are not a tuple");
                        var f = Pop() as PickleGlobal ?? throw Corrupt("REDUCE on something that is not an allowed global");
                        stack.Add(Call(f, args.Items));
                        break;
                    }
                case 0x81: // NEWOBJ: cls.__new__(cls, *args)
                    {
                        var args = Pop() as PickleTuple ?? throw Corrupt("NEWOBJ arguments are not a tuple");
                        var cls = Pop() as PickleGlobal ?? throw Corrupt("NEWOBJ on something that is not an allowed class");
                        stack.Add(Call(cls, args.Items));
                        break;
                    }
                case 0x92: // NEWOBJ_EX
                    {
                        Pop();
                        var args = Pop() as PickleTuple ?? throw Corrupt("NEWOBJ_EX arguments are not a tuple");
                        var cls = Pop() as PickleGlobal ?? throw Corrupt("NEWOBJ_EX on something that is not an allowed class");
                        stack.Add(Call(cls, args.Items));
                        break;
                    }
                case (byte)'b': // BUILD: set state; recorded, never interpreted (no __setstate__ exists here)
                    {
                        var state = Pop();
                        switch (Top())
                        {
                            case PickleDict d: d.State = state; break;
                            case PickleObject o: o.State = state; break;
                            case TensorRef: break; // _rebuild_tensor results carry no state that matters
                            default: throw Corrupt($"BUILD on a {Top()?.GetType().Name ?? "None"}");
                        }
                        break;
                    }
                case (byte)'s': { var v = Pop(); var k = Pop(); Dict(Top()).Set(k, v); break; } // SETITEM
                case (byte)'u': // SETITEMS
                    {
                        var items = PopMark();
                        var d = Dict(Top());
                        for (var i = 0; i + 1 < items.Length; i += 2) d.Set(items[i], items[i + 1]);
                        break;
                    }
                case (byte)'a': { var v = Pop(); List(Top()).Add(v); break; } // APPEND
                case (byte)'e': { var items = PopMark(); List(Top()).AddRange(items); break; } // APPENDS
                case (byte)'Q': // BINPERSID
                    {
                        var pid = Pop() as PickleTuple ?? throw Corrupt("persistent id is not a tuple");
                        stack.Add(_persistentLoad is null ? throw Corrupt("persistent ids are not expected in this pickle") : _persistentLoad(pid));
                        break;
                    }
                case (byte)'P': throw Corrupt("text persistent ids (PERSID) are not used by torch.save");
                default:
                    throw Corrupt($"unsupported pickle opcode 0x{op:x2} at byte {at}");
            }
        }
    }

    PickleGlobal Resolve(string module, string name)
    {
        if (!IsAllowed(module, name))
            throw new InvalidDataException(
                $"Refusing to load '{_source}': its pickle references the global '{module}.{name}', which a weights file never needs " +
                "(allowed: torch tensor/storage rebuilders, collections.OrderedDict, numpy scalars, _codecs.encode, Lightning callback state). " +
                "Loading it with Python's pickle could run arbitrary code. Nothing was executed. " +
                "Use a .safetensors version of the model, or convert the file in an isolated environment you trust.");
        return new PickleGlobal(module, name);
    }

    object? Call(PickleGlobal f, object?[] args)
    {
        switch (f.FullName)
        {
            case "collections.OrderedDict":
                return new PickleDict();
            case "torch._utils._rebuild_tensor":
            case "torch._utils._rebuild_tensor_v2":
                return _rebuildTensor is null ? throw Corrupt("tensors are not expected in this pickle") : _rebuildTensor(f, args);
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return args.Length > 0 ? args[0] : throw Corrupt("_rebuild_parameter without data");
            case "torch.Size":
                return args.Length == 1 && args[0] is PickleTuple t ? t : new PickleTuple(args);
            case "_codecs.encode":
                // Protocol 2 pickles bytes as _codecs.encode(str, "latin1").
                return args.Length > 0 && args[0] is string s ? Encoding.Latin1.GetBytes(s) : Array.Empty<byte>();
            default:
                return new PickleObject(f, new PickleTuple(args));
        }
    }

    int LongLength(int n) => n < 0 || n > _limits.MaxIntegerBytes ? throw Limit($"a {n:N0}-byte integer (limit {_limits.MaxIntegerBytes})") : n;

    /// <summary>Text integers (protocol 0) of any length parse to long or BigInteger; longer than the limit is refused, not overflowed.</summary>
    object TextInteger(string s, string opcode)
    {
        if (long.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l)) return l;
        if (s.Length > 2 * _limits.MaxIntegerBytes + 1) throw Limit($"an {opcode} integer of {s.Length:N0} digits");
        return BigInteger.TryParse(s, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var b)
            ? b : throw Corrupt($"{opcode} '{Clip(s)}' is not an integer");
    }

    object TextFloat(string s) =>
        double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : throw Corrupt($"FLOAT '{Clip(s)}' is not a number");

    long MemoKey(string s, string opcode) =>
        long.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var k) ? k : throw Corrupt($"{opcode} memo key '{Clip(s)}' is not a small non-negative integer");

    static string Clip(string s) => s.Length <= 24 ? s : s[..24] + "…";

    object Long(ReadOnlySpan<byte> b)
    {
        if (b.Length > _limits.MaxIntegerBytes) throw Limit($"a {b.Length:N0}-byte integer (limit {_limits.MaxIntegerBytes})");
        if (b.Length == 0) return 0L;
        var v = new BigInteger(b, isUnsigned: false, isBigEndian: false);
        return v >= long.MinValue && v <= long.MaxValue ? (long)v : v;
    }

    object? Memo(Dictionary<long, object?> memo, long key) =>
        memo.TryGetValue(key, out var v) ? v : throw Corrupt($"memo key {key} was never stored");

    PickleDict Dict(object? o) => o as PickleDict ?? throw Corrupt($"SETITEM on a {o?.GetType().Name ?? "None"}");
    List<object?> List(object? o) => o as List<object?> ?? throw Corrupt($"APPEND on a {o?.GetType().Name ?? "None"}");

    InvalidDataException Limit(string what) =>
        new($"'{_source}': refused, the pickle builds {what}, far beyond any weights file; it is corrupt or hostile. Use the model's .safetensors version.");

    InvalidDataException Truncated() => new($"'{_source}': the pickle ends unexpectedly (truncated file). Re-download it.");
    InvalidDataException Corrupt(string why) => new($"'{_source}': the pickle is not a weights state dict ({why}). Re-download the file or use its .safetensors version.");
}
