using ControlNet.Abstractions;
using ControlNet.Conditions.Inpaint;
using ControlNet.Conditions.Shuffle;
using ControlNet.Conditions.Tile;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

public class ImageConditionTests
{
    static readonly Dictionary<string, string> At128 = new() { ["detect-resolution"] = "128" };

    [Fact]
    public void Condition_image_becomes_a_1CHW_tensor_in_0_1_with_masked_pixels_minus_one()
    {
        var img = ConditionImage.Rgb(2, 1, [255, 0, 51, 0, 102, 255]).WithMask([0, 1]);
        using var t = img.ToTensor();
        Assert.Equal(new long[] { 1, 3, 1, 2 }, t.shape);
        Assert.Equal(ScalarType.Float32, t.dtype);
        var v = t.data<float>().ToArray();
        // CHW: R = [1, −1], G = [0, −1], B = [0.2, −1]
        Assert.Equal([1f, -1f, 0f, -1f, 0.2f, -1f], v);
        using var t16 = ConditionImage.Gray16(1, 1, [65535]).ToTensor();
        Assert.Equal(1f, t16.item<float>());
    }

    [Fact]
    public void Inpaint_marks_the_masked_pixels_and_feeds_them_as_minus_one()
    {
        var image = TestImages.Draw(128, 128, m => m.SetTo(new Scalar(200, 100, 50)));
        var mask = TestImages.Draw(128, 128, m => Cv2.Rectangle(m, new Rect(32, 32, 64, 64), Scalar.All(255), -1));
        var source = new PreprocessorSource(image, null, "image.png", path => path == "mask.png" ? mask : throw new FileNotFoundException(path));
        var map = new InpaintPreprocessor().Run(source, new Dictionary<string, string>(At128) { ["mask"] = "mask.png" });
        Assert.NotNull(map.Mask);
        Assert.Equal(64 * 64, map.Mask!.Count(m => m != 0));
        using var t = map.ToTensor();
        Assert.Equal(-1f, t[0, 0, 64, 64].item<float>());
        Assert.Equal(200f / 255f, t[0, 0, 5, 5].item<float>(), 5);
        Assert.Equal(50f / 255f, t[0, 2, 5, 5].item<float>(), 5);
        // Without a mask option or transparency there is nothing to inpaint: a clear error.
        var e = Assert.Throws<ArgumentException>(() => new InpaintPreprocessor().Run(PreprocessorSource.From(image), At128));
        Assert.Contains("mask", e.Message);
    }

    [Fact]
    public void Shuffle_is_seeded_keeps_the_size_and_moves_content()
    {
        var image = TestImages.Draw(128, 128, m =>
        {
            Cv2.Rectangle(m, new Rect(0, 0, 64, 128), new Scalar(255, 0, 0), -1);
            Cv2.Rectangle(m, new Rect(64, 0, 64, 128), new Scalar(0, 0, 255), -1);
        });
        var options = new Dictionary<string, string>(At128) { ["seed"] = "7" };
        var a = new ShufflePreprocessor().Run(PreprocessorSource.From(image), options);
        var b = new ShufflePreprocessor().Run(PreprocessorSource.From(image), options);
        var c = new ShufflePreprocessor().Run(PreprocessorSource.From(image), new Dictionary<string, string>(At128) { ["seed"] = "8" });
        Assert.Equal((128, 128), (a.Width, a.Height));
        Assert.Equal(a.Data, b.Data);
        Assert.NotEqual(a.Data, c.Data);
        Assert.NotEqual(image.Data, a.Data);
        // Remapping only samples the input: every pixel is a blend of red and blue, green stays 0.
        Assert.All(Enumerable.Range(0, 128 * 128), p => Assert.Equal(0, a.Data![3 * p + 1]));
    }

    [Fact]
    public void Tile_is_the_image_resized_by_the_reference_rule()
    {
        var image = TestImages.Draw(100, 50, m => m.SetTo(new Scalar(10, 20, 30)));
        var map = new TilePreprocessor().Run(PreprocessorSource.From(image), At128);
        Assert.Equal((256, 128), (map.Width, map.Height)); // k = 2.56: 256 × 128
        Assert.Equal((10, 20, 30), map.Rgb(100, 60));
    }
}
