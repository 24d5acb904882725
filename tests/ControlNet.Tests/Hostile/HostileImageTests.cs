using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;
using ControlNet.Tests.Checkpoints;

namespace ControlNet.Tests.Hostile;

/// <summary>Image bombs are refused from the header, before any pixel buffer exists.</summary>
public class HostileImageTests
{
    public static TheoryData<string, byte[]> Bombs() => new()
    {
        { "png", HostileImages.Png(30000, 30000) },
        { "png-16-bit-gray", HostileImages.Png(30000, 30000, bitDepth: 16, colorType: 0) },
        { "png-tall-strip", HostileImages.Png(1, 100_000_000) },
        { "png-wide-strip", HostileImages.Png(100_000_000, 1) },
        { "jpeg", HostileImages.Jpeg(30000, 30000) },
        { "webp", HostileImages.WebP(16000, 16000) },
        { "tiff", HostileImages.Tiff(30000, 30000) },
    };

    [Theory]
    [MemberData(nameof(Bombs))]
    public void A_decompression_bomb_is_refused_from_its_header(string kind, byte[] file)
    {
        using var dir = new TempDir();
        var path = dir["bomb." + kind];
        File.WriteAllBytes(path, file);
        Assert.NotNull(ImageHeader.TryReadSize(file));
        var e = Assert.Throws<LimitExceededException>(() => ImageFile.LoadStored(path));
        Assert.Contains("above the limit", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Header_sizes_are_read_exactly()
    {
        Assert.Equal((123L, 45L), ImageHeader.TryReadSize(HostileImages.Png(123, 45)));
        Assert.Equal((640L, 480L), ImageHeader.TryReadSize(HostileImages.Jpeg(640, 480)));
        Assert.Equal((1000L, 2000L), ImageHeader.TryReadSize(HostileImages.WebP(1000, 2000)));
        Assert.Equal((7L, 9L), ImageHeader.TryReadSize(HostileImages.Tiff(7, 9)));
        var real = File.ReadAllBytes(Cli.CliRunner.Photo);
        var decoded = ImageFile.LoadStored(Cli.CliRunner.Photo);
        Assert.Equal(((long)decoded.Width, (long)decoded.Height), ImageHeader.TryReadSize(real));
        Assert.Null(ImageHeader.TryReadSize("not an image"u8));
    }

    [Fact]
    public void A_png_text_chunk_length_of_2_pow_31_is_damage_not_an_overflow()
    {
        var ms = new MemoryStream();
        ms.Write(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 });
        HostileImages.Chunk(ms, "tEXt", "k\0v"u8.ToArray(), declaredLength: 0x80000000);
        var e = Assert.Throws<InvalidDataException>(() => PngMetadata.Read(ms.ToArray(), "x.png"));
        Assert.Contains("runs past the end", e.Message);
    }

    [Theory]
    [InlineData(256, 256, 100_000)]
    [InlineData(1, 60_000, 512)]
    public void A_resize_target_beyond_the_pixel_limit_is_refused_before_resizing(int width, int height, int resolution)
    {
        var e = Assert.Throws<LimitExceededException>(() => ReferenceResize.TargetSize(width, height, resolution));
        Assert.Contains("resize target", e.Message);
    }

    [Fact]
    public void The_pixel_limit_rejects_sizes_whose_product_overflows_an_int()
    {
        Assert.Throws<LimitExceededException>(() => ImageLimits.Check(int.MaxValue, int.MaxValue, "x"));
        Assert.Throws<ArgumentException>(() => ImageLimits.Check(0, 5, "x"));
        ImageLimits.Check(8192, 8192, "x"); // 64 MP exactly is allowed
    }

    [Fact]
    public void A_png_chunk_declaring_4_GB_is_refused_before_opencv_allocates_it()
    {
        // Found by the fuzz harness: OpenCV's PNG reader allocated the IDAT chunk's declared 0xFFFF0000 bytes.
        using var dir = new TempDir();
        var ms = new MemoryStream();
        var png = HostileImages.Png(24, 16);
        ms.Write(png.AsSpan(0, 33));
        HostileImages.Chunk(ms, "IDAT", new byte[64], declaredLength: 0xFFFF0000);
        File.WriteAllBytes(dir["chunk.png"], ms.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => ImageFile.LoadStored(dir["chunk.png"]));
        Assert.Contains("IDAT chunk at byte 33 declares 4,294,901,760 bytes", e.Message);
    }

    [Fact]
    public void An_endless_device_or_an_oversized_file_is_refused_at_the_size_bound_before_it_fills_memory()
    {
        // Found by the 100,000-input fuzz run: --control canny:/dev/zero read the device into a 2 GB buffer (size 0, no end).
        var limit = ImageLimits.MaxPixels;
        ImageLimits.MaxPixels = 1 << 20;   // 1 MP: inputs up to 9 MiB
        try
        {
            var e = Assert.Throws<LimitExceededException>(() => ImageFile.LoadRgb("/dev/zero"));
            Assert.Contains("no end", e.Message);
            Assert.Throws<LimitExceededException>(() => ControlNet.Hosting.Plugins.PreprocessorSources.Open("/dev/zero", PreprocessorInput.File));

            using var dir = new TempDir();
            File.WriteAllBytes(dir["big.png"], new byte[InputFile.MaxBytes + 1]);
            Assert.Throws<LimitExceededException>(() => ImageFile.LoadRgb(dir["big.png"]));
            Assert.Throws<IOException>(() => InputFile.ReadAllBytes(dir.Path));   // a folder is named as one
        }
        finally { ImageLimits.MaxPixels = limit; }
    }
}
