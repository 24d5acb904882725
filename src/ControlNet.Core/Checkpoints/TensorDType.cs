using TorchSharp;

namespace ControlNet.Checkpoints;

/// <summary>Element types a weights file may store (safetensors dtype strings, REFERENCE §4.1; torch storage classes, §4.2).</summary>
public enum TensorDType { Bool, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, F8E5M2, F8E4M3 }

public static class TensorDTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this TensorDType t) => t switch
    {
        TensorDType.Bool or TensorDType.U8 or TensorDType.I8 or TensorDType.F8E5M2 or TensorDType.F8E4M3 => 1,
        TensorDType.I16 or TensorDType.U16 or TensorDType.F16 or TensorDType.BF16 => 2,
        TensorDType.I32 or TensorDType.U32 or TensorDType.F32 => 4,
        _ => 8,
    };

    /// <summary>The safetensors header spelling ("F32", "BF16", "F8_E4M3").</summary>
    public static string SafetensorsName(this TensorDType t) => t switch
    {
        TensorDType.Bool => "BOOL",
        TensorDType.F8E5M2 => "F8_E5M2",
        TensorDType.F8E4M3 => "F8_E4M3",
        _ => t.ToString(),
    };

    public static bool TryParseSafetensorsName(string s, out TensorDType t)
    {
        foreach (var v in Enum.GetValues<TensorDType>())
            if (v.SafetensorsName() == s) { t = v; return true; }
        t = default;
        return false;
    }

    /// <summary>torch.save spells the element type through the legacy storage class (torch.FloatStorage, ...).</summary>
    public static string TorchStorageName(this TensorDType t) => t switch
    {
        TensorDType.F32 => "FloatStorage",
        TensorDType.F16 => "HalfStorage",
        TensorDType.BF16 => "BFloat16Storage",
        TensorDType.F64 => "DoubleStorage",
        TensorDType.I64 => "LongStorage",
        TensorDType.I32 => "IntStorage",
        TensorDType.I16 => "ShortStorage",
        TensorDType.I8 => "CharStorage",
        TensorDType.U8 => "ByteStorage",
        TensorDType.Bool => "BoolStorage",
        _ => throw new NotSupportedException($"dtype {t} has no torch storage class; save it as safetensors instead."),
    };

    public static bool TryParseTorchStorageName(string s, out TensorDType t)
    {
        foreach (var v in new[] { TensorDType.F32, TensorDType.F16, TensorDType.BF16, TensorDType.F64, TensorDType.I64, TensorDType.I32, TensorDType.I16, TensorDType.I8, TensorDType.U8, TensorDType.Bool })
            if (v.TorchStorageName() == s) { t = v; return true; }
        t = default;
        return false;
    }

    public static torch.ScalarType ToScalarType(this TensorDType t) => t switch
    {
        TensorDType.Bool => torch.ScalarType.Bool,
        TensorDType.U8 => torch.ScalarType.Byte,
        TensorDType.I8 => torch.ScalarType.Int8,
        TensorDType.I16 => torch.ScalarType.Int16,
        TensorDType.F16 => torch.ScalarType.Float16,
        TensorDType.BF16 => torch.ScalarType.BFloat16,
        TensorDType.I32 => torch.ScalarType.Int32,
        TensorDType.F32 => torch.ScalarType.Float32,
        TensorDType.F64 => torch.ScalarType.Float64,
        TensorDType.I64 => torch.ScalarType.Int64,
        _ => throw new NotSupportedException($"dtype {t.SafetensorsName()} cannot be materialised as a TorchSharp tensor; only BOOL, U8, I8, I16, I32, I64, F16, BF16, F32, F64 are supported."),
    };

    public static TensorDType FromScalarType(torch.ScalarType t) => t switch
    {
        torch.ScalarType.Bool => TensorDType.Bool,
        torch.ScalarType.Byte => TensorDType.U8,
        torch.ScalarType.Int8 => TensorDType.I8,
        torch.ScalarType.Int16 => TensorDType.I16,
        torch.ScalarType.Float16 => TensorDType.F16,
        torch.ScalarType.BFloat16 => TensorDType.BF16,
        torch.ScalarType.Int32 => TensorDType.I32,
        torch.ScalarType.Float32 => TensorDType.F32,
        torch.ScalarType.Float64 => TensorDType.F64,
        torch.ScalarType.Int64 => TensorDType.I64,
        _ => throw new NotSupportedException($"TorchSharp dtype {t} cannot be written to a weights file."),
    };

    public static bool IsFloatingPoint(this TensorDType t) =>
        t is TensorDType.F16 or TensorDType.BF16 or TensorDType.F32 or TensorDType.F64 or TensorDType.F8E4M3 or TensorDType.F8E5M2;

    /// <summary>Parses a command-line precision: fp16, bf16, fp32 (also f16/half, float, ...).</summary>
    public static TensorDType ParsePrecision(string s) => s.ToLowerInvariant() switch
    {
        "fp16" or "f16" or "half" or "float16" => TensorDType.F16,
        "bf16" or "bfloat16" => TensorDType.BF16,
        "fp32" or "f32" or "float" or "float32" => TensorDType.F32,
        _ => throw new ArgumentException($"Unknown precision '{s}'. Use fp16, bf16 or fp32."),
    };
}
