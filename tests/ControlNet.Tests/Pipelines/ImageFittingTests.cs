using ControlNet.Abstractions;
using ControlNet.Pipelines;

namespace ControlNet.Tests.Pipelines;

public class ImageFittingTests
{
    // A 4×2 image: left half white, right half black.
    static ConditionImage Wide()
    {
        var rgb = new byte[4 * 2 * 3];
        for (int y = 0; y < 2; y++) for (int x = 0; x < 2; x++) for (int c = 0; c < 3; c++) rgb[(y * 4 + x) * 3 + c] = 255;
        return ConditionImage.Rgb(4, 2, rgb);
    }

    [Fact]
    public void Resize_modes_stretch_crop_or_fill()
    {
        var just = ImageFitting.ConditionTensor(Wide(), 2, 2, ResizeMode.JustResize);           // area 4×2 → 2×2: left white, right black
        Assert.Equal(new long[] { 1, 3, 2, 2 }, just.shape);
        Assert.Equal(1f, just[0, 0, 0, 0].item<float>());
        Assert.Equal(0f, just[0, 0, 0, 1].item<float>());

        var crop = ImageFitting.ConditionTensor(Wide(), 2, 2, ResizeMode.CropAndResize);        // centre 2×2 crop: columns 1, 2
        Assert.Equal(1f, crop[0, 0, 0, 0].item<float>());
        Assert.Equal(0f, crop[0, 0, 0, 1].item<float>());

        var fill = ImageFitting.ConditionTensor(Wide(), 4, 4, ResizeMode.ResizeAndFill);        // 4×2 centred in 4×4, black rows 0 and 3
        Assert.Equal(0f, fill[0, .., 0, ..].abs().max().item<float>());
        Assert.Equal(0f, fill[0, .., 3, ..].abs().max().item<float>());
        Assert.Equal(1f, fill[0, 0, 1, 0].item<float>());
    }

    [Fact]
    public void Gray_maps_become_rgb_and_masked_pixels_stay_minus_one()
    {
        var gray = ConditionImage.Gray(4, 4, Enumerable.Repeat((byte)51, 16).ToArray());
        var mask = new byte[16];
        mask[0] = 255;
        var t = ImageFitting.ConditionTensor(gray.WithMask(mask), 8, 8, ResizeMode.JustResize);
        Assert.Equal(new long[] { 1, 3, 8, 8 }, t.shape);
        Assert.Equal(-1f, t[0, 2, 1, 1].item<float>());                   // nearest: the masked pixel covers 2×2
        Assert.Equal(0.2f, t[0, 1, 5, 5].item<float>(), 5);
    }
}
