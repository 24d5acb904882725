using System.IO.Compression;
using ControlNet.Checkpoints;
using ControlNet.Checkpoints.Pickle;
using ControlNet.Runtime;
using static TorchSharp.torch;

namespace ControlNet.Tests.Checkpoints;

public class TorchZipTests
{
    [Fact]
    public void Pth_round_trips_every_tensor_and_equals_the_safetensors_file_of_the_same_weights()
    {
        using var dir = new TempDir();
        var tensors = TestFiles.Tiny(ModelComponent.ControlNet).Select(t => t.As(ModelComponent.ControlNet.LdmPrefix() + t.Name)).ToList();
        TorchZipWriter.Write(dir["c.pth"], tensors);
        SafetensorsWriter.Write(dir["c.safetensors"], tensors);
        using var pth = WeightsFile.Open(dir["c.pth"]);
        using var st = WeightsFile.Open(dir["c.safetensors"]);
        Assert.Equal("torch-zip", pth.Container);
        Assert.Equal("safetensors", st.Container);
        Assert.Equal(tensors.Select(t => t.Name), pth.Keys); // file order kept
        TestFiles.AssertSame(tensors, pth.Tensors);
        TestFiles.AssertSame(st.Tensors, pth.Tensors);

        // The archive has torch.save's records and stores them uncompressed.
        using var zip = ZipFile.OpenRead(dir["c.pth"]);
        Assert.Contains(zip.Entries, e => e.FullName == "archive/data.pkl");
        Assert.Contains(zip.Entries, e => e.FullName == "archive/byteorder");
        Assert.All(zip.Entries, e => Assert.Equal(e.Length, e.CompressedLength));
    }

    [Fact]
    public void Lightning_ckpt_with_numpy_and_callback_stubs_loads_its_state_dict_without_instantiating_anything()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        var w = new InMemoryTensorRef("model.diffusion_model.out.2.bias", tensor(new float[] { 1, 2, 3, 4 }));
        var p = new PickleWriter().Proto(2)
            .EmptyDict()
            .Mark()
            .String("epoch").Int(6)
            .String("global_step").Int(840000)
            .String("pytorch-lightning_version").String("1.4.2")
            .String("callbacks").EmptyDict()
                .Global("pytorch_lightning.callbacks.model_checkpoint", "ModelCheckpoint")
                .EmptyDict().String("best_model_score")
                    .Global("numpy.core.multiarray", "scalar").Mark()
                    .Global("numpy", "dtype").Mark().String("f8").Bool(false).Bool(true).Tuple().Reduce()
                    .Global("_codecs", "encode").Mark().String("\u0000\u0000\u0000\u0000\u0000\u0000\u00f0?").String("latin1").Tuple().Reduce()
                    .Tuple().Reduce() // scalar(dtype, bytes): kept as inert data
                .SetItem()
                .SetItem()
            .String("state_dict").OrderedDict().Mark().String(w.Name).Tensor(TensorDType.F32, "0", 4, new long[] { 4 }).SetItems()
            .SetItems()
            .Stop();
        TorchZipWriter.WriteArchive(dir["sd.ckpt"], p.ToArray(), new[] { w }, root: "sd");
        using var sd = WeightsFile.Open(dir["sd.ckpt"]);
        Assert.Equal(new[] { w.Name }, sd.Keys);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, sd[w.Name].ToTensor().data<float>().ToArray());
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("posix", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("builtins", "exec")]
    [InlineData("subprocess", "Popen")]
    [InlineData("torch", "load")]
    [InlineData("pytorch_lightning.callbacks", "__import__")]
    public void A_pickle_naming_a_dangerous_global_is_refused_and_nothing_runs(string module, string name)
    {
        using var dir = new TempDir();
        var marker = dir["pwned"];
        var p = new PickleWriter().Proto(2)
            .Global(module, name).Mark().String($"touch {marker}").Tuple().Reduce()
            .Stop();
        TorchZipWriter.WriteArchive(dir["evil.pth"], p.ToArray(), Array.Empty<TensorRef>());
        var e = Assert.Throws<InvalidDataException>(() => WeightsFile.Open(dir["evil.pth"]));
        Assert.Contains($"'{module}.{name}'", e.Message);
        Assert.Contains("Nothing was executed", e.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void Stack_global_and_protocol_4_opcodes_are_checked_too()
    {
        // PROTO 4, SHORT_BINUNICODE "builtins", SHORT_BINUNICODE "eval", STACK_GLOBAL
        var bytes = new List<byte> { 0x80, 4, 0x8c, 8 };
        bytes.AddRange("builtins"u8.ToArray());
        bytes.AddRange(new byte[] { 0x8c, 4 });
        bytes.AddRange("eval"u8.ToArray());
        bytes.Add(0x93);
        bytes.Add((byte)'.');
        var e = Assert.Throws<InvalidDataException>(() => new RestrictedUnpickler("x").Load(bytes.ToArray()));
        Assert.Contains("builtins.eval", e.Message);
    }

    [Fact]
    public void Truncated_and_corrupt_zip_files_give_clear_errors()
    {
        using var dir = new TempDir();
        TorchZipWriter.Write(dir["ok.pth"], TestFiles.Tiny(ModelComponent.Vae).Take(4));
        var bytes = File.ReadAllBytes(dir["ok.pth"]);
        File.WriteAllBytes(dir["cut.pth"], bytes[..(bytes.Length / 2)]);
        var e = Assert.ThrowsAny<InvalidDataException>(() => WeightsFile.Open(dir["cut.pth"]));
        Assert.Contains("cut.pth", e.Message);

        // A pickle that ends mid-stream.
        TorchZipWriter.WriteArchive(dir["short.pth"], new byte[] { 0x80, 2, (byte)'}', (byte)'X', 9, 0 }, Array.Empty<TensorRef>());
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => WeightsFile.Open(dir["short.pth"])).Message);
    }

    [Fact]
    public void A_storage_record_missing_from_the_archive_is_reported()
    {
        using var dir = new TempDir();
        var p = new PickleWriter().Proto(2).OrderedDict().Mark().String("w").Tensor(TensorDType.F32, "7", 4, new long[] { 4 }).SetItems().Stop();
        TorchZipWriter.WriteArchive(dir["m.pth"], p.ToArray(), Array.Empty<TensorRef>());
        Assert.Contains("missing", Assert.Throws<InvalidDataException>(() => WeightsFile.Open(dir["m.pth"])).Message);
    }
}

public class TorchZip64Tests
{
    /// <summary>More than 65,535 records forces the Zip64 end-of-central-directory that the >4 GB files also use.</summary>
    [Fact]
    public void An_archive_that_needs_zip64_is_written_and_read()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        var one = tensor(new float[] { 2.5f });
        var tensors = Enumerable.Range(0, 66_000).Select(i => (TensorRef)new InMemoryTensorRef($"t.{i}", one)).ToList();
        TorchZipWriter.Write(dir["many.pth"], tensors);
        using var sd = WeightsFile.Open(dir["many.pth"]);
        Assert.Equal(66_000, sd.Count);
        Assert.Equal(2.5f, sd["t.65999"].ToTensor().item<float>());
        // Zip64 end of central directory record signature 0x06064b50 is present.
        var tail = File.ReadAllBytes(dir["many.pth"])[^200..];
        Assert.True(tail.AsSpan().IndexOf(new byte[] { 0x50, 0x4b, 0x06, 0x06 }) >= 0);
    }

    [Fact]
    public void A_legacy_torch_file_is_refused_with_a_hint()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["old.pth"], new byte[] { 0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, (byte)'.' });
        Assert.Contains("legacy", Assert.Throws<NotSupportedException>(() => WeightsFile.Open(dir["old.pth"])).Message);
    }
}
