using ControlNet.Abstractions;
using ControlNet.Conditions.Lineart;
using ControlNet.Conditions.OpenCv;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

public class LineartTests
{
    [Fact]
    public void Parameter_names_and_shapes_are_those_of_sk_model_pth()
    {
        TorchRuntime.EnsureInitialized();
        using var net = new LineartGenerator();
        var sd = net.state_dict();
        // 2 stem/head convs + 2 down + 2 up + 3 blocks × 2 convs, weight and bias each; instance norms carry nothing.
        Assert.Equal(2 * (2 + 2 + 2 + 6), sd.Count);
        Assert.Equal([64L, 3, 7, 7], sd["model0.1.weight"].shape);
        Assert.Equal([128L, 64, 3, 3], sd["model1.0.weight"].shape);
        Assert.Equal([256L, 128, 3, 3], sd["model1.3.weight"].shape);
        Assert.Equal([256L, 256, 3, 3], sd["model2.2.conv_block.5.weight"].shape);
        Assert.Equal([256L, 128, 3, 3], sd["model3.0.weight"].shape); // ConvTranspose2d: [in, out, k, k]
        Assert.Equal([128L, 64, 3, 3], sd["model3.3.weight"].shape);
        Assert.Equal([1L, 64, 7, 7], sd["model4.1.weight"].shape);
    }

    [Theory]
    [InlineData(false, "sk_model.pth")]
    [InlineData(true, "sk_model2.pth")]
    public void Random_weights_saved_as_pth_load_back_and_run_on_a_photo(bool coarse, string file)
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        manual_seed(coarse ? 5 : 4);
        using var net = new LineartGenerator();
        AnnotatorWeights.Save(net, dir[file]);

        var source = AnnotatorWeights.Photo(dir.Path);
        var pre = new LineartPreprocessor(coarse);
        Assert.Equal(coarse ? "lineart-coarse" : "lineart", pre.Id);
        var map = pre.Run(source, new Dictionary<string, string> { ["detect-resolution"] = "64" });
        Assert.Equal((64, 64, 3, SampleDepth.Eight), (map.Width, map.Height, map.Channels, map.Depth));
        var gray = Enumerable.Range(0, 64 * 64).Select(p => map.Data![p * 3]).ToArray();
        Assert.True(gray.Distinct().Count() > 10, "a random generator on a photo gives a varied map");

        // The loaded weights are the saved ones: same map as the in-memory generator.
        using var rgb = Mats.FromImage(source.Image!);
        using var resized = ReferenceResizer.Apply(rgb, 64);
        using var expected = LineartPreprocessor.Detect(net, resized);
        var expectedBytes = new byte[64 * 64];
        System.Runtime.InteropServices.Marshal.Copy(expected.Data, expectedBytes, 0, expectedBytes.Length);
        Assert.Equal(expectedBytes, gray);
    }

    [Fact]
    public void The_map_is_the_inverted_drawing_so_that_map_over_255_is_the_reference_control()
    {
        TorchRuntime.EnsureInitialized();
        // White paper (1.0) → 0, a dark line (0.0) → 255, 0.25 → 255 − floor(63.75) = 192.
        using var drawing = tensor(new float[] { 1.0f, 0.0f, 0.25f, 0.999f }).view(2, 2);
        using var map = LineartPreprocessor.ToMap(drawing);
        Assert.Equal(new byte[] { 0, 255, 192, 1 }, new[] { map.At<byte>(0, 0), map.At<byte>(0, 1), map.At<byte>(1, 0), map.At<byte>(1, 1) });
    }
}
