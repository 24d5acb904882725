using System.IO.Compression;
using System.Text;
using ControlNet.Checkpoints;
using ControlNet.Checkpoints.Pickle;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using static TorchSharp.torch;

namespace ControlNet.Tests.Hostile;

/// <summary>The pickle reproductions of issue 20: each was a crash, hang or memory blow-up; each is now a one-line refusal.</summary>
public class HostilePickleTests
{
    static byte[] Bytes(params object[] parts)
    {
        var ms = new MemoryStream();
        foreach (var p in parts)
            switch (p)
            {
                case byte b: ms.WriteByte(b); break;
                case char c: ms.WriteByte((byte)c); break;
                case string s: ms.Write(Encoding.ASCII.GetBytes(s)); break;
                case byte[] a: ms.Write(a); break;
            }
        return ms.ToArray();
    }

    [Fact]
    public void An_object_whose_state_is_itself_used_as_a_dict_key_loads_without_recursing()
    {
        // {}  numpy.dtype()  BINPUT 0  BINGET 0  BUILD (obj.State = obj)  None  SETITEM  STOP
        var pickle = Bytes((byte)0x80, (byte)2, '}', "cnumpy\ndtype\n", ')', 'R', 'q', (byte)0, 'h', (byte)0, 'b', 'N', 's', '.');
        var result = new RestrictedUnpickler("loop.pkl").Load(pickle);
        var dict = Assert.IsType<PickleDict>(result);
        var key = Assert.IsType<PickleObject>(Assert.Single(dict.Items).Key);
        Assert.Same(key, key.State);
        Assert.Equal("numpy.dtype(...)", key.ToString());
    }

    [Fact]
    public void A_self_referential_state_dict_is_refused_as_a_cycle()
    {
        using var dir = new TempDir();
        // d = {}; d["a"] = d
        var pickle = Bytes((byte)0x80, (byte)2, '}', 'q', (byte)0, 'X', new byte[] { 1, 0, 0, 0 }, "a", 'h', (byte)0, 's', '.');
        TorchZipWriter.WriteArchive(dir["loop.pth"], pickle, Array.Empty<TensorRef>());
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Open(dir["loop.pth"]).Dispose());
        Assert.Contains("cycle", e.Message);
    }

    [Fact]
    public void A_deep_chain_of_nested_dicts_is_refused_at_the_depth_limit_without_recursion()
    {
        using var dir = new TempDir();
        var p = new PickleWriter().Proto(2);
        const int depth = 100_000;
        for (var i = 0; i < depth; i++) p.EmptyDict().String("k");
        p.EmptyDict();
        for (var i = 0; i < depth; i++) p.SetItem();
        TorchZipWriter.WriteArchive(dir["deep.pth"], p.Stop().ToArray(), Array.Empty<TensorRef>());
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Open(dir["deep.pth"]).Dispose());
        Assert.Contains("deeper than", e.Message);
    }

    [Theory]
    [InlineData("I", "9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999")]
    [InlineData("L", "99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999L")]
    public void Huge_text_integers_are_refused_not_overflowed(string opcode, string digits)
    {
        var e = Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler("int.pkl").Load(Bytes((byte)0x80, (byte)2, opcode, digits, "\n", '.')));
        Assert.Contains("integer", e.Message);
    }

    [Fact]
    public void A_text_integer_beyond_long_but_within_the_limit_is_a_big_integer()
    {
        var v = new RestrictedUnpickler("int.pkl").Load(Bytes((byte)0x80, (byte)2, 'I', "99999999999999999999999\n", '.'));
        Assert.Equal(System.Numerics.BigInteger.Parse("99999999999999999999999", System.Globalization.CultureInfo.InvariantCulture), v);
    }

    [Theory]
    [InlineData('p')]
    [InlineData('g')]
    public void A_huge_text_memo_key_is_refused(char opcode)
    {
        var e = Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler("memo.pkl").Load(Bytes((byte)0x80, (byte)2, 'N', opcode, "99999999999999999999999999\n", '.')));
        Assert.Contains("memo key", e.Message);
    }

    [Fact]
    public void A_huge_LONG4_is_refused_before_it_is_parsed()
    {
        var e = Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler("long.pkl").Load(Bytes((byte)0x80, (byte)2, (byte)0x8b, BitConverter.GetBytes(1 << 20), new byte[1 << 20], '.')));
        Assert.Contains("integer", e.Message);
    }

    [Fact]
    public void Stride_zero_views_with_sizes_2_pow_31_minus_1_are_refused_as_too_large()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        var storage = new InMemoryTensorRef("s", tensor(new float[] { 1 }));
        const long big = int.MaxValue;
        foreach (var shape in new[] { new[] { big, big }, new[] { big, big, big } })
        {
            var p = new PickleWriter().Proto(2).OrderedDict().Mark().String("w")
                .Tensor(TensorDType.F32, "0", 1, shape, strides: shape.Select(_ => 0L).ToArray()).SetItems().Stop();
            TorchZipWriter.WriteArchive(dir["view.pth"], p.ToArray(), new[] { storage });
            var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Open(dir["view.pth"]).Dispose());
            Assert.Contains("more elements than any tensor", e.Message);
        }
    }

    [Fact]
    public void A_deflated_run_of_EMPTY_DICT_is_refused_as_a_zip_bomb_before_it_is_inflated()
    {
        using var dir = new TempDir();
        var path = dir["bomb.pth"];
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("archive/data.pkl", CompressionLevel.Optimal).Open();
            s.Write(new byte[] { 0x80, 2 });
            var run = Enumerable.Repeat((byte)'}', 1 << 20).ToArray();
            for (var i = 0; i < 32; i++) s.Write(run); // 32 MB of EMPTY_DICT deflates to ~32 KB
        }
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Open(path).Dispose());
        Assert.Contains("zip bomb", e.Message);
    }

    [Fact]
    public void An_uncompressed_flood_of_objects_stops_at_the_object_limit()
    {
        var pickle = new byte[2 + 2_000_000 + 1];
        pickle[0] = 0x80; pickle[1] = 2;
        Array.Fill(pickle, (byte)'}', 2, 2_000_000);
        pickle[^1] = (byte)'.';
        var e = Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler("flood.pkl").Load(pickle));
        Assert.Contains("objects", e.Message);
    }

    [Fact]
    public void Limits_are_configurable()
    {
        var pickle = Bytes((byte)0x80, (byte)2, ']', 'N', 'a', 'N', 'a', 'N', 'a', '.');
        Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler("small.pkl", limits: new PickleLimits { MaxObjects = 4 }).Load(pickle));
        Assert.Equal(3, Assert.IsType<List<object?>>(new RestrictedUnpickler("small.pkl").Load(pickle)).Count);
    }
}
