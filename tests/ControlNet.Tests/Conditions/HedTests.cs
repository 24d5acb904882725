using ControlNet.Abstractions;
using ControlNet.Checkpoints;
using ControlNet.Conditions.OpenCv;
using ControlNet.Conditions.SoftEdge;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

public class HedTests
{
    static ControlNetHed RandomNet(int seed)
    {
        TorchRuntime.EnsureInitialized();
        manual_seed(seed);
        var net = new ControlNetHed();
        using (no_grad()) net.named_parameters().Single(p => p.name == "norm").parameter.copy_(tensor(new float[] { 120, 115, 100 }).view(1, 3, 1, 1));
        return net;
    }

    [Fact]
    public void Parameter_names_and_shapes_are_those_of_ControlNetHED_pth()
    {
        using var net = RandomNet(0);
        var sd = net.state_dict();
        Assert.Equal(1 + 2 * (2 + 2 + 3 + 3 + 3) + 2 * 5, sd.Count); // norm, 13 convs, 5 projections
        Assert.Equal([1L, 3, 1, 1], sd["norm"].shape);
        Assert.Equal([64L, 3, 3, 3], sd["block1.convs.0.weight"].shape);
        Assert.Equal([512L, 512, 3, 3], sd["block5.convs.2.weight"].shape);
        Assert.Equal([1L, 256, 1, 1], sd["block3.projection.weight"].shape);
        Assert.False(sd.ContainsKey("block1.convs.2.weight"));
    }

    [Fact]
    public void Random_weights_saved_as_pth_load_back_and_run_on_a_photo()
    {
        using var dir = new TempDir();
        using var net = RandomNet(1);
        AnnotatorWeights.Save(net, dir["ControlNetHED.pth"]);

        var source = AnnotatorWeights.Photo(dir.Path);
        var options = new Dictionary<string, string> { ["detect-resolution"] = "128" };
        var map = new HedPreprocessor().Run(source, options);

        Assert.Equal((128, 128, 3, SampleDepth.Eight), (map.Width, map.Height, map.Channels, map.Depth));
        var gray = Enumerable.Range(0, 128 * 128).Select(p => map.Data![p * 3]).ToArray();
        Assert.All(Enumerable.Range(0, 128 * 128), p => Assert.True(map.Data![p * 3] == map.Data[p * 3 + 1] && map.Data[p * 3] == map.Data[p * 3 + 2]));
        Assert.True(gray.Distinct().Count() > 10, "a random HED on a photo gives a varied map");

        // The file's weights are the module's: the loaded detector equals the in-memory one pixel for pixel.
        using var rgb = Mats.FromImage(source.Image!);
        using var resized = ReferenceResizer.Apply(rgb, 128);
        using var expected = HedPreprocessor.Detect(net, resized, safe: false);
        var expectedBytes = new byte[128 * 128];
        System.Runtime.InteropServices.Marshal.Copy(expected.Data, expectedBytes, 0, expectedBytes.Length);
        Assert.Equal(expectedBytes, gray);

        var safe = new HedPreprocessor(safe: true).Run(source, options);
        var levels = Enumerable.Range(0, 128 * 128).Select(p => safe.Data![p * 3]).Distinct().Order().ToArray();
        Assert.Subset(new HashSet<byte> { 0, 127, 255 }, levels.ToHashSet());
    }

    [Fact]
    public void Fusion_averages_the_side_outputs_then_applies_the_sigmoid()
    {
        TorchRuntime.EnsureInitialized();
        // Constant side outputs at the five scales of a 32×32 input; mean = 2, so every pixel is sigmoid(2) = 0.8808.
        float[] c = [1, 2, 3, -4, 8];
        var sides = c.Select((v, k) => full(new long[] { 1, 1, 32 >> k, 32 >> k }, v)).ToArray();
        using var fused = ControlNetHed.Fuse(sides, 32, 32);
        Assert.Equal([32L, 32], fused.shape);
        Assert.Equal(ScalarType.Float64, fused.dtype);
        Assert.Equal(1 / (1 + Math.Exp(-2)), fused.min().item<double>(), 12);
        Assert.Equal(1 / (1 + Math.Exp(-2)), fused.max().item<double>(), 12);
        using var gray = MatTensors.ToGray8(fused);
        Assert.Equal(224, gray.At<byte>(5, 7)); // 0.8808 · 255 = 224.6, truncated as astype(uint8) does
        foreach (var s in sides) s.Dispose();
    }

    [Fact]
    public void Safe_step_quantises_to_floor_of_three_x_over_two()
    {
        TorchRuntime.EnsureInitialized();
        using var x = tensor(new double[] { 0, 0.3, 0.34, 0.5, 0.67, 0.99, 1.0 });
        using var y = SafeStep.Apply(x);
        Assert.Equal([0, 0, 0.5, 0.5, 1.0, 1.0, 1.5], y.data<double>().ToArray());
    }

    [Fact]
    public void Scribble_from_HED_is_binary()
    {
        using var dir = new TempDir();
        using (var net = RandomNet(2)) AnnotatorWeights.Save(net, dir["ControlNetHED.pth"]);
        var pre = new ControlNet.Hosting.Plugins.PluginCatalog().Add<ControlNet.Conditions.Scribble.ScribblePlugin>().FindPreprocessor("scribble-hed").Preprocessor;
        var options = new Dictionary<string, string> { ["detect-resolution"] = "128" };
        var map = pre.Run(AnnotatorWeights.Photo(dir.Path), options);
        Assert.Equal((128, 128, 3), (map.Width, map.Height, map.Channels));
        Assert.All(map.Data!, b => Assert.True(b is 0 or 255));

        // It is the reference composition: HED at the detect resolution, then nms(127, 3), blur σ 3, > 4 → 255.
        var hed = new HedPreprocessor().Run(AnnotatorWeights.Photo(dir.Path), options);
        using var hedMat = Mats.FromImage(hed);
        using var expected = ControlNet.Conditions.Scribble.FakeScribble.FromEdges(hedMat);
        Assert.Equal(Mats.ToImage(expected).Data, map.Data);
    }
}
