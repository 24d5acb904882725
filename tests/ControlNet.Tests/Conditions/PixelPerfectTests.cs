using ControlNet.Cli.Generation;
using ControlNet.Conditions.Canny;
using ControlNet.Conditions.OpenPose;
using ControlNet.Hosting.Plugins;
using ControlNet.Pipelines;

namespace ControlNet.Tests.Conditions;

public class PixelPerfectTests
{
    [Theory]
    // image W×H, output W×H, mode, A1111 pixel_perfect_resolution
    [InlineData(256, 256, 512, 512, ResizeMode.CropAndResize, 512)]
    [InlineData(300, 200, 768, 512, ResizeMode.CropAndResize, 512)]      // same aspect: every mode agrees
    [InlineData(300, 200, 768, 512, ResizeMode.ResizeAndFill, 512)]
    [InlineData(400, 200, 512, 512, ResizeMode.CropAndResize, 512)]      // k = max(512/200, 512/400) = 2.56, × 200
    [InlineData(400, 200, 512, 512, ResizeMode.JustResize, 512)]         // just resize takes the larger k too
    [InlineData(400, 200, 512, 512, ResizeMode.ResizeAndFill, 256)]      // k = min(…) = 1.28, × 200
    [InlineData(1000, 750, 512, 768, ResizeMode.CropAndResize, 768)]     // max(768/750, 512/1000) = 1.024, × 750
    [InlineData(1000, 750, 512, 768, ResizeMode.ResizeAndFill, 384)]     // min(…) = 0.512, × 750
    [InlineData(4, 2, 5, 1, ResizeMode.CropAndResize, 2)]                // 1.25 · 2 = 2.5 → 2: half to even, as np.round
    [InlineData(4, 2, 7, 1, ResizeMode.CropAndResize, 4)]                // 1.75 · 2 = 3.5 → 4
    public void Resolution_is_A1111s_formula(int iw, int ih, int tw, int th, ResizeMode mode, int expected)
    {
        Assert.Equal(expected, PixelPerfect.DetectResolution(iw, ih, tw, th, mode));
    }

    [Fact]
    public void Apply_sets_the_detect_resolution_only_for_image_inputs_with_that_option()
    {
        var photo = ControlNet.Hosting.Imaging.ImageFile.LoadRgb(TestImages.Path("astronaut-256.png"));
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["detect-resolution"] = "64" };
        Assert.Equal(448, PixelPerfectOptions.Apply(new CannyPreprocessor(), photo, options, 384, 448, ResizeMode.CropAndResize));
        Assert.Equal("448", options["detect-resolution"]);                  // pixel perfect overrides the given one, as A1111 does
        Assert.Equal(64, PixelPerfectOptions.Apply(new CannyPreprocessor(), photo, options, 32, 32, ResizeMode.CropAndResize)); // floor 64
        Assert.Null(PixelPerfectOptions.Apply(new PosePreprocessor(), null, options, 384, 448, ResizeMode.CropAndResize));     // JSON input
    }

    [Fact]
    public void Control_specs_take_pixel_perfect_in_either_spelling()
    {
        Assert.True(ControlSpec.Parse("canny:a.png:pixel-perfect=true,low=5").PixelPerfect);
        Assert.True(ControlSpec.Parse("canny:a.png:pixel_perfect=1").PixelPerfect);
        var plain = ControlSpec.Parse("canny:a.png:low=5");
        Assert.False(plain.PixelPerfect);
        Assert.Equal(new Dictionary<string, string> { ["low"] = "5" }, ControlSpec.Parse("canny:a.png:pixel-perfect=true,low=5").Options);
    }
}
