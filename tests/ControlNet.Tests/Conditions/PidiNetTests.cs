using ControlNet.Abstractions;
using ControlNet.Conditions.SoftEdge;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

public class PidiNetTests
{
    [Fact]
    public void Parameter_names_and_shapes_are_those_of_table5_pidinet_pth()
    {
        TorchRuntime.EnsureInitialized();
        using var net = new PidiNet();
        var sd = net.state_dict();
        // init 1; 15 blocks × (conv1, conv2) + 3 shortcuts × 2; 4 × CDCM (conv1 w+b, 4 dilated); 4 × CSAM (conv1 w+b, conv2); 4 × reduce (w+b); classifier (w+b)
        Assert.Equal(1 + 30 + 6 + 24 + 12 + 8 + 2, sd.Count);
        Assert.Equal([60L, 3, 3, 3], sd["init_block.weight"].shape);
        Assert.Equal([60L, 1, 3, 3], sd["block1_1.conv1.weight"].shape);   // depth-wise
        Assert.Equal([120L, 60, 1, 1], sd["block2_1.conv2.weight"].shape);
        Assert.Equal([240L, 120, 1, 1], sd["block3_1.shortcut.weight"].shape);
        Assert.Equal([240L], sd["block4_1.shortcut.bias"].shape);
        Assert.Equal([24L, 240, 1, 1], sd["dilations.3.conv1.weight"].shape);
        Assert.Equal([24L, 24, 3, 3], sd["dilations.0.conv2_4.weight"].shape);
        Assert.Equal([4L, 24, 1, 1], sd["attentions.2.conv1.weight"].shape);
        Assert.Equal([1L, 4, 3, 3], sd["attentions.2.conv2.weight"].shape);
        Assert.Equal([1L, 24, 1, 1], sd["conv_reduces.1.conv.weight"].shape);
        Assert.Equal([1L, 4, 1, 1], sd["classifier.weight"].shape);
        Assert.False(sd.ContainsKey("block1_1.shortcut.weight"));
    }

    [Fact]
    public void Random_weights_saved_like_the_public_file_load_back_and_run_on_a_photo()
    {
        TorchRuntime.EnsureInitialized();
        using var dir = new TempDir();
        manual_seed(5);
        using var net = new PidiNet();
        {
            // The reference's own initialisation of the fusion (classifier weights 0.25, bias 0): the fused map is the sigmoid of the side logits' mean.
            using (no_grad())
                foreach (var (name, p) in net.named_parameters())
                    if (name.StartsWith("classifier.", StringComparison.Ordinal)) p.fill_(name.EndsWith("weight", StringComparison.Ordinal) ? 0.25 : 0);
            using (no_grad())
            using (var x = rand(1, 3, 40, 48))
            {
                var outputs = net.call(x);
                Assert.Equal(5, outputs.Length);
                Assert.All(outputs, o => Assert.Equal([1L, 1, 40, 48], o.shape));
                Assert.True(outputs[^1].min().item<float>() > 0 && outputs[^1].max().item<float>() < 1);
                foreach (var o in outputs) o.Dispose();
            }
            // The public file: torch.save({"state_dict": DataParallel(model).state_dict()}) → keys "module.…".
            AnnotatorWeights.Save(net, dir["table5_pidinet.pth"], k => "module." + k, underStateDict: true);
        }
        var options = new Dictionary<string, string> { ["detect-resolution"] = "64" };
        var map = new PidiNetPreprocessor().Run(AnnotatorWeights.Photo(dir.Path), options);
        Assert.Equal((64, 64, 3, SampleDepth.Eight), (map.Width, map.Height, map.Channels, map.Depth));
        Assert.True(map.Data!.Distinct().Count() > 1, $"a random PiDiNet on a photo gives a varied map ({map.Data!.Distinct().Count()} levels)");

        // The file's weights are the module's: the loaded detector equals the in-memory one pixel for pixel.
        using (var rgb = ControlNet.Conditions.OpenCv.Mats.FromImage(AnnotatorWeights.Photo(dir.Path).Image!))
        using (var resized = ControlNet.Conditions.OpenCv.ReferenceResizer.Apply(rgb, 64))
        using (var expected = PidiNetPreprocessor.Detect(net, resized, safe: false))
        {
            expected.GetArray(out byte[] gray);
            Assert.Equal(gray, Enumerable.Range(0, 64 * 64).Select(i => map.Data![3 * i]).ToArray());
        }

        var safe = new PidiNetPreprocessor(safe: true).Run(AnnotatorWeights.Photo(dir.Path), options);
        Assert.Subset(new HashSet<byte> { 0, 127, 255 }, safe.Data!.ToHashSet());

        var pre = new ControlNet.Hosting.Plugins.PluginCatalog().Add<ControlNet.Conditions.Scribble.ScribblePlugin>().FindPreprocessor("scribble-pidinet").Preprocessor;
        var scribble = pre.Run(AnnotatorWeights.Photo(dir.Path), options);
        Assert.All(scribble.Data!, b => Assert.True(b is 0 or 255));
    }

    [Fact]
    public void Angular_and_radial_kernels_are_the_reference_rearrangements()
    {
        TorchRuntime.EnsureInitialized();
        using var w = arange(1, 10, dtype: ScalarType.Float32).view(1, 9);   // taps 1…9, row-major
        using var angular = w.matmul(PixelDifferenceConv.TransformMatrix(PixelDifference.Angular));
        // w − w[[3, 0, 1, 6, 4, 2, 7, 8, 5]]
        Assert.Equal(new float[] { 1 - 4, 2 - 1, 3 - 2, 4 - 7, 0, 6 - 3, 7 - 8, 8 - 9, 9 - 6 }, angular.data<float>().ToArray());
        using var radial = w.matmul(PixelDifferenceConv.TransformMatrix(PixelDifference.Radial));
        var expected = new float[25];
        int[] outer = [0, 2, 4, 10, 14, 20, 22, 24], inner = [6, 7, 8, 11, 13, 16, 17, 18];
        for (int j = 0; j < 8; j++) { expected[outer[j]] = j + 2; expected[inner[j]] = -(j + 2); } // taps 2…9 (w[1:])
        Assert.Equal(expected, radial.data<float>().ToArray());
    }

    [Fact]
    public void Central_difference_of_a_flat_image_is_zero_inside_and_radial_keeps_the_size()
    {
        TorchRuntime.EnsureInitialized();
        manual_seed(1);
        using var central = new PixelDifferenceConv(PixelDifference.Central, 2, 3);
        using var radial = new PixelDifferenceConv(PixelDifference.Radial, 2, 2, groups: 2);
        using var _ = no_grad();
        using var flat = full(new long[] { 1, 2, 9, 9 }, 0.7f);
        using var y = central.call(flat);
        Assert.Equal([1L, 3, 9, 9], y.shape);
        using var inside = y[.., .., 1..8, 1..8].abs().max();
        Assert.True(inside.item<float>() < 1e-5, "a kernel on differences from the centre sees nothing on a flat image");
        using var r = radial.call(flat);
        Assert.Equal([1L, 2, 9, 9], r.shape);
        using var rInside = r[.., .., 2..7, 2..7].abs().max();
        Assert.True(rInside.item<float>() < 1e-5, "outer minus inner ring cancels on a flat image");
    }
}
