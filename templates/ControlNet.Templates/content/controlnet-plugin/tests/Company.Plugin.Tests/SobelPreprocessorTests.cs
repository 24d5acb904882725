using ControlNet.Abstractions;

namespace Company.Plugin.Tests;

public class SobelPreprocessorTests
{
    /// <summary>A 32×32 black image with a filled square [8, 24) × [8, 24) of the given gray level.</summary>
    static ConditionImage Square(byte level)
    {
        const int n = 32;
        var rgb = new byte[n * n * 3];
        for (int y = 8; y < 24; y++)
            for (int x = 8; x < 24; x++)
                rgb[(y * n + x) * 3] = rgb[(y * n + x) * 3 + 1] = rgb[(y * n + x) * 3 + 2] = level;
        return ConditionImage.Rgb(n, n, rgb);
    }

    static byte At(ConditionImage map, int x, int y) => map.Data![(y * map.Width + x) * 3];

    [Fact]
    public void White_square_gives_edges_on_its_border_only()
    {
        var map = new SobelPreprocessor().Run(PreprocessorSource.From(Square(255)));

        Assert.Equal((32, 32, 3), (map.Width, map.Height, map.Channels));
        // A full black-to-white step is strength 255 on both sides of the border (pixels 7 and 8 in x).
        Assert.Equal(255, At(map, 7, 16));
        Assert.Equal(255, At(map, 8, 16));
        Assert.Equal(255, At(map, 16, 23));
        Assert.Equal(0, At(map, 16, 16)); // inside
        Assert.Equal(0, At(map, 2, 2));   // outside
        Assert.Equal(0, At(map, 29, 29));
    }

    [Fact]
    public void Threshold_hides_weak_edges_and_binary_saturates_them()
    {
        var faint = Square(40);  // a step of 40 gives strength 40
        var defaults = new SobelPreprocessor().Run(PreprocessorSource.From(faint));
        Assert.Equal(40, At(defaults, 8, 16));

        var strict = new SobelPreprocessor().Run(PreprocessorSource.From(faint), new Dictionary<string, string> { ["threshold"] = "64" });
        Assert.All(strict.Data!, b => Assert.Equal(0, b));

        var binary = new SobelPreprocessor().Run(PreprocessorSource.From(faint), new Dictionary<string, string> { ["binary"] = "true" });
        Assert.Equal(255, At(binary, 8, 16));
        Assert.Equal(0, At(binary, 16, 16));
    }

    [Fact]
    public void Options_are_described_with_their_defaults_and_unknown_ones_are_refused()
    {
        var options = new SobelPreprocessor().Options.ToDictionary(o => o.Name, o => o.DefaultValue);
        Assert.Equal(new Dictionary<string, string?> { ["threshold"] = "32", ["scale"] = "1", ["binary"] = "false" }, options);

        var e = Assert.Throws<ArgumentException>(() =>
            new SobelPreprocessor().Run(PreprocessorSource.From(Square(255)), new Dictionary<string, string> { ["treshold"] = "1" }));
        Assert.Contains("threshold", e.Message);
        Assert.Throws<ArgumentException>(() =>
            new SobelPreprocessor().Run(PreprocessorSource.From(Square(255)), new Dictionary<string, string> { ["threshold"] = "300" }));
    }

    [Fact]
    public void Plugin_targets_a_contract_this_host_accepts()
    {
        var plugin = new SobelPlugin();
        Assert.Equal("sobel", plugin.Id);
        Assert.Equal("sobel", plugin.Preprocessors[0].Id);
        Assert.True(ContractVersion.IsCompatible(plugin.TargetContract), $"contract {plugin.TargetContract} vs host {ContractVersion.Current}");
        // The plug-in ships its own hint encoder for 3-channel maps (the host builds and probes the module; building
        // it here would need libtorch's native library, which the host brings).
        var encoder = Assert.IsType<HintEncoderSpec.Custom>(plugin.HintEncoder);
        Assert.Equal("sobel_hint", encoder.Name);
        Assert.Equal(3, encoder.InputChannels);
    }
}
