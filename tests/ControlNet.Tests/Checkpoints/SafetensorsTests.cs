using System.Text;
using ControlNet.Checkpoints;
using ControlNet.Runtime;
using static TorchSharp.torch;

namespace ControlNet.Tests.Checkpoints;

public class SafetensorsTests
{
    [Fact]
    public void Tensor_bytes_round_trip_through_ToTensor()
    {
        TorchRuntime.EnsureInitialized();
        var t = new InMemoryTensorRef("x", arange(6, ScalarType.Float32).reshape(2, 3));
        using var back = t.ToTensor();
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, back.data<float>().ToArray());
        using var half = t.ToTensor(ScalarType.Float16);
        Assert.Equal(ScalarType.Float16, half.dtype);
        Assert.Equal(5f, half[1, 2].to_type(ScalarType.Float32).item<float>());
    }

    [Fact]
    public void Writes_and_reads_back_every_tensor_with_metadata_in_every_dtype()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        var tensors = new List<TensorRef>
        {
            new InMemoryTensorRef("b.f32", randn(3, 4)),
            new InMemoryTensorRef("a.f16", randn(5).to_type(ScalarType.Float16)),
            new InMemoryTensorRef("c.bf16", randn(2, 2).to_type(ScalarType.BFloat16)),
            new InMemoryTensorRef("d.i64", arange(7, ScalarType.Int64)),
            new InMemoryTensorRef("e.u8", ones(4, ScalarType.Byte)),
            new InMemoryTensorRef("f.scalar", tensor(3.5f)),
            new InMemoryTensorRef("g.empty", zeros(0, 3)),
        };
        var path = dir["t.safetensors"];
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });

        using var sd = SafetensorsFile.Open(path);
        Assert.Equal("pt", sd.Metadata["format"]);
        TestFiles.AssertSame(tensors, sd.Tensors);
        // Header length is a multiple of 8 (writer pads with spaces), data is sorted by alignment then name.
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0UL, BitConverter.ToUInt64(bytes, 0) % 8);
        Assert.Equal(new[] { "d.i64", "b.f32", "a.f16", "c.bf16", "e.u8" }, OrderInData(bytes).Where(n => n is not ("f.scalar" or "g.empty")).ToArray());
    }

    static IEnumerable<string> OrderInData(byte[] file)
    {
        var n = (int)BitConverter.ToUInt64(file, 0);
        using var doc = System.Text.Json.JsonDocument.Parse(file.AsMemory(8, n));
        return doc.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .OrderBy(p => p.Value.GetProperty("data_offsets")[0].GetInt64()).ThenBy(p => p.Value.GetProperty("data_offsets")[1].GetInt64())
            .Select(p => p.Name).ToList();
    }

    static string WriteRaw(TempDir dir, string json, int dataBytes, long? lengthField = null)
    {
        var h = Encoding.UTF8.GetBytes(json);
        var path = dir[Guid.NewGuid().ToString("N") + ".safetensors"];
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes((ulong)(lengthField ?? h.Length)));
        fs.Write(h);
        fs.Write(new byte[dataBytes]);
        return path;
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "truncated")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, "gap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "trailing")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "data_offsets span")]
    [InlineData("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype 'Q4'")]
    [InlineData("{\"__metadata__\":{\"n\":3},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "only string values")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "invalid dimension")]
    [InlineData("not json", 0, "not valid JSON")]
    public void Hostile_headers_are_refused_with_a_clear_error(string json, int dataBytes, string expected)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(WriteRaw(dir, json, dataBytes)));
        Assert.Contains(expected, e.Message);
        Assert.Contains("not a valid safetensors file", e.Message);
    }

    [Fact]
    public void Header_length_past_the_end_and_above_the_limit_are_refused()
    {
        using var dir = new TempDir();
        var past = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(WriteRaw(dir, "{}", 0, lengthField: 4096)));
        Assert.Contains("truncated", past.Message);
        var huge = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(WriteRaw(dir, "{}", 0, lengthField: 200_000_000)));
        Assert.Contains("limit", huge.Message);
        var tiny = dir["tiny.safetensors"];
        File.WriteAllBytes(tiny, new byte[] { 1, 2, 3 });
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(tiny)).Message);
    }

    [Fact]
    public void Truncating_a_real_file_is_detected()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        var path = dir["t.safetensors"];
        SafetensorsWriter.Write(path, new[] { new InMemoryTensorRef("w", randn(16, 16)) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path));
    }
}
