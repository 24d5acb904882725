using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;

namespace ControlNet.Tests.Imaging;

public sealed class ImagingTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("cn-imaging-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);
    string File_(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Png_text_metadata_round_trips_latin1_and_unicode_and_replaces_keys()
    {
        var path = File_("a.png");
        ImageFile.SavePng(ConditionImage.Rgb(2, 2, Enumerable.Range(0, 12).Select(i => (byte)(i * 20)).ToArray()), path,
            new Dictionary<string, string> { ["prompt"] = "a cat, best quality", ["seed"] = "42" });
        PngMetadata.Write(path, new Dictionary<string, string> { ["seed"] = "43", ["negative"] = "ça — 猫" });

        var meta = PngMetadata.Read(path);
        Assert.Equal("a cat, best quality", meta["prompt"]);
        Assert.Equal("43", meta["seed"]);
        Assert.Equal("ça — 猫", meta["negative"]); // not Latin-1: stored as iTXt (UTF-8)
        Assert.Equal(3, meta.Count);
        // Still a valid PNG with the same pixels.
        var back = ImageFile.LoadStored(path);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (byte)(i * 20)).ToArray(), back.Data);
        Assert.Single(Directory.GetFiles(_dir)); // atomic writes leave no temp files
    }

    [Fact]
    public void A_damaged_chunk_is_reported_with_its_position()
    {
        var path = File_("b.png");
        ImageFile.SavePng(ConditionImage.Gray(1, 1, [7]), path, new Dictionary<string, string> { ["k"] = "v" });
        var bytes = File.ReadAllBytes(path);
        int t = IndexOf(bytes, "tEXt"u8.ToArray());
        bytes[t + 5] ^= 0xFF; // flip a byte of the text
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => PngMetadata.Read(path));
        Assert.Contains("CRC mismatch in the tEXt chunk", e.Message);
        Assert.Throws<ArgumentException>(() => PngMetadata.Add(File.ReadAllBytes(path), new Dictionary<string, string> { [""] = "x" }));
    }

    [Fact]
    public void Sixteen_bit_gray_round_trips_and_reduces_to_8_bit_for_rgb()
    {
        var path = File_("depth.png");
        ImageFile.SavePng(ConditionImage.Gray16(3, 1, [0, 1000, 65535]), path);
        var stored = ImageFile.LoadStored(path);
        Assert.Equal(SampleDepth.Sixteen, stored.Depth);
        Assert.Equal(new ushort[] { 0, 1000, 65535 }, stored.Data16);
        var rgb = ImageFile.LoadRgb(path);
        Assert.Equal(new byte[] { 0, 0, 0, 4, 4, 4, 255, 255, 255 }, rgb.Data); // round(1000/257) = 4
    }

    [Fact]
    public void Transparency_is_a_mask_as_stored_and_white_in_rgb()
    {
        var path = File_("rgba.png");
        ImageFile.SavePng(ConditionImage.Rgb(2, 1, [10, 20, 30, 40, 50, 60]).WithMask([0, 1]), path);
        var stored = ImageFile.LoadStored(path);
        Assert.Equal(new byte[] { 0, 1 }, stored.Mask);
        Assert.Equal(new byte[] { 10, 20, 30, 40, 50, 60 }, stored.Data);
        var rgb = ImageFile.LoadRgb(path); // HWC3: composited on white
        Assert.Null(rgb.Mask);
        Assert.Equal(new byte[] { 10, 20, 30, 255, 255, 255 }, rgb.Data);
    }

    [Fact]
    public void Missing_and_undecodable_files_say_so()
    {
        Assert.Throws<FileNotFoundException>(() => ImageFile.LoadRgb(File_("nope.png")));
        File.WriteAllText(File_("text.png"), "not an image");
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.LoadRgb(File_("text.png")));
        Assert.Contains("could not be decoded", e.Message);
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}
