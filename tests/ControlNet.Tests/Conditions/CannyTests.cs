using ControlNet.Abstractions;
using ControlNet.Conditions.Canny;
using ControlNet.Conditions.OpenCv;
using ControlNet.Hosting.Imaging;
using OpenCvSharp;

namespace ControlNet.Tests.Conditions;

public class CannyTests
{
    static readonly CannyPreprocessor Canny = new();

    [Fact]
    public void Photograph_matches_the_stored_map_written_once_with_OpenCV_Canny()
    {
        // astronaut-256.png: NASA portrait of Eileen Collins (public domain, via scikit-image's data), 256×256.
        // astronaut-256.canny.png: written once by 'controlnet preprocess canny … --detect-resolution 256'.
        var photo = ImageFile.LoadRgb(TestImages.Path("astronaut-256.png"));
        var expected = ImageFile.LoadRgb(TestImages.Path("astronaut-256.canny.png"));
        var map = Canny.Run(PreprocessorSource.From(photo), new Dictionary<string, string> { ["detect-resolution"] = "256" });
        Assert.Equal((256, 256, 3), (map.Width, map.Height, map.Channels));
        Assert.Equal(expected.Data, map.Data);
        // And it is OpenCV's Canny(100, 200) on the unresized RGB photo, replicated to 3 channels.
        using var direct = CannyEdges.Detect(Mats.FromImage(photo));
        direct.GetArray(out byte[] edges);
        Assert.Equal(edges, Enumerable.Range(0, edges.Length).Select(p => map.Data![3 * p]).ToArray());
        Assert.InRange(edges.Count(e => e == 255), 3000, 20000); // a real photo has plenty of edges, not everything
    }

    [Fact]
    public void Edges_of_a_synthetic_square_sit_on_its_border()
    {
        var img = TestImages.Draw(256, 256, m => Cv2.Rectangle(m, new Rect(64, 96, 128, 64), Scalar.All(255), -1));
        var map = Canny.Run(PreprocessorSource.From(img), new Dictionary<string, string> { ["detect-resolution"] = "256" });
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
            {
                bool white = map.Rgb(x, y).R == 255;
                bool nearBorder = x >= 62 && x <= 193 && y >= 94 && y <= 161 && !(x >= 66 && x <= 189 && y >= 98 && y <= 157);
                if (white) Assert.True(nearBorder, $"edge pixel at ({x},{y}) is not on the square's border");
            }
        // Every side is found: a white pixel within 1 px of each side's midpoint.
        Assert.Contains(new[] { 63, 64 }, x => map.Rgb(x, 128).R == 255);
        Assert.Contains(new[] { 191, 192 }, x => map.Rgb(x, 128).R == 255);
        Assert.Contains(new[] { 95, 96 }, y => map.Rgb(128, y).R == 255);
        Assert.Contains(new[] { 159, 160 }, y => map.Rgb(128, y).R == 255);
    }

    [Fact]
    public void Detect_resolution_follows_the_reference_resize_rule()
    {
        var img = TestImages.Draw(300, 200, _ => { });
        var map = Canny.Run(PreprocessorSource.From(img)); // default 512: k = 2.56 → 768×512
        Assert.Equal((768, 512), (map.Width, map.Height));
        Assert.Equal((768, 512, true), ReferenceResize.TargetSize(300, 200, 512));
        Assert.Equal((384, 320, false), ReferenceResize.TargetSize(1000, 800, 300)); // 375 → 384, 300 → 320
        Assert.Equal((512, 512, false), ReferenceResize.TargetSize(512, 512, 512));
        Assert.Equal((576, 512, true), ReferenceResize.TargetSize(288, 256, 512)); // 576 stays
    }

    [Fact]
    public void Unknown_option_lists_the_valid_ones_and_bad_values_name_the_option()
    {
        var img = TestImages.Draw(64, 64, _ => { });
        var e = Assert.Throws<ArgumentException>(() => Canny.Run(PreprocessorSource.From(img), new Dictionary<string, string> { ["lo"] = "5" }));
        Assert.Contains("'lo'", e.Message);
        Assert.Contains("low, high, detect-resolution", e.Message);
        e = Assert.Throws<ArgumentException>(() => Canny.Run(PreprocessorSource.From(img), new Dictionary<string, string> { ["low"] = "abc" }));
        Assert.Contains("'low'", e.Message);
        Assert.Contains("integer", e.Message);
        e = Assert.Throws<ArgumentException>(() => Canny.Run(PreprocessorSource.From(img), new Dictionary<string, string> { ["high"] = "300" }));
        Assert.Contains("1–255", e.Message);
    }

    [Fact]
    public void Options_are_described_with_their_defaults()
    {
        var o = Canny.Options;
        Assert.Equal(["low", "high", "detect-resolution"], o.Select(x => x.Name));
        Assert.Equal(["100", "200", "512"], o.Select(x => x.DefaultValue));
        Assert.All(o, x => Assert.Equal("int", x.Type));
        Assert.All(o, x => Assert.False(string.IsNullOrEmpty(x.Description)));
    }
}
