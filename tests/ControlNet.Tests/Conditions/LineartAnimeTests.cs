using System.Runtime.InteropServices;
using ControlNet.Abstractions;
using ControlNet.Checkpoints;
using ControlNet.Conditions.Lineart;
using ControlNet.Conditions.OpenCv;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

public class LineartAnimeTests
{
    const string FileName = "netG.pth";

    public LineartAnimeTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Parameter_names_and_shapes_are_those_of_netG_pth()
    {
        using var net = new AnimeLineartGenerator();
        var sd = net.state_dict();
        // 8 levels × (down conv + up conv) × (weight, bias): non-affine instance norms carry nothing.
        Assert.Equal(32, sd.Count);
        Assert.Equal(54_405_505L, sd.Values.Sum(t => t.numel())); // × 4 bytes = 217.6 MB, the file's size on the Hub
        Assert.Equal([64L, 3, 4, 4], sd["model.model.0.weight"].shape);
        Assert.Equal([128L, 1, 4, 4], sd["model.model.3.weight"].shape);     // ConvTranspose2d: [in, out, k, k]; in = skip + up
        Assert.Equal([1L], sd["model.model.3.bias"].shape);
        Assert.Equal([128L, 64, 4, 4], sd["model.model.1.model.1.weight"].shape);
        Assert.Equal([256L, 64, 4, 4], sd["model.model.1.model.5.weight"].shape);
        Assert.Equal([512L, 256, 4, 4], sd["model.model.1.model.3.model.3.model.1.weight"].shape);
        const string innermost = "model.model.1.model.3.model.3.model.3.model.3.model.3.model.3.model.";
        Assert.Equal([512L, 512, 4, 4], sd[innermost + "1.weight"].shape); // innermost: [LeakyReLU, conv, ReLU, convT, norm]
        Assert.Equal([512L, 512, 4, 4], sd[innermost + "3.weight"].shape);
        Assert.Equal([512L], sd[innermost + "3.bias"].shape);
        Assert.DoesNotContain(sd.Keys, k => k.StartsWith(innermost + "3.model", StringComparison.Ordinal));
    }

    [Fact]
    public void Random_weights_saved_as_pth_with_the_DataParallel_prefix_load_back_and_run_on_a_photo()
    {
        using var dir = new TempDir();
        manual_seed(14);
        using var net = new AnimeLineartGenerator();
        // As the reference loader expects it: keys may carry nn.DataParallel's "module." prefix, which it drops.
        AnnotatorWeights.Save(net, dir[FileName], k => "module." + k);

        var source = AnnotatorWeights.Photo(dir.Path);
        var pre = new LineartAnimePreprocessor();
        Assert.Equal("lineart-anime", pre.Id);
        var map = pre.Run(source, new Dictionary<string, string> { ["detect-resolution"] = "64" });
        Assert.Equal((64, 64, 3, SampleDepth.Eight), (map.Width, map.Height, map.Channels, map.Depth));
        var gray = Enumerable.Range(0, 64 * 64).Select(p => map.Data![p * 3]).ToArray();
        Assert.True(gray.Distinct().Count() > 10, "a random generator on a photo gives a varied map");

        // The loaded weights are the saved ones: same map as the in-memory generator.
        using var rgb = Mats.FromImage(source.Image!);
        using var resized = ReferenceResizer.Apply(rgb, 64);
        using var expected = LineartAnimePreprocessor.Detect(net, resized);
        var expectedBytes = new byte[64 * 64];
        Marshal.Copy(expected.Data, expectedBytes, 0, expectedBytes.Length);
        Assert.Equal(expectedBytes, gray);
    }

    [Fact]
    public void The_forward_equals_the_pix2pix_recursion_written_out_from_the_keys()
    {
        // A 5-level, width-2 U-Net (the smallest the constructor builds) against the reference UnetSkipConnectionBlock
        // written with functional ops, addressing each weight by its key. The skip is LeakyReLU(x): the reference's
        // LeakyReLU runs in place on the tensor it then concatenates.
        manual_seed(3);
        using var net = new AnimeLineartGenerator(levels: 5, width: 2);
        using var scope = NewDisposeScope();
        var sd = net.state_dict();
        foreach (var t in sd.Values) using (no_grad()) t.copy_(randn_like(t) * 0.5);
        var x = rand(1, 3, 64, 32) * 2 - 1;

        // Levels from the outside in: (prefix, outer channels); the innermost has no inner norm and no skip input.
        Tensor Level(Tensor input, int depth, string prefix)
        {
            const int levels = 5;
            var innermost = depth == levels - 1;
            if (depth == 0)
            {
                var d = nn.functional.conv2d(input, sd[prefix + "0.weight"], sd[prefix + "0.bias"], strides: [2, 2], padding: [1, 1]);
                var inner = Level(d, 1, prefix + "1.model.");
                return tanh(nn.functional.conv_transpose2d(nn.functional.relu(inner), sd[prefix + "3.weight"], sd[prefix + "3.bias"], strides: [2, 2], padding: [1, 1]));
            }
            var skip = nn.functional.leaky_relu(input, 0.2);
            var down = nn.functional.conv2d(skip, sd[prefix + "1.weight"], sd[prefix + "1.bias"], strides: [2, 2], padding: [1, 1]);
            Tensor up;
            if (innermost)
                up = nn.functional.conv_transpose2d(nn.functional.relu(down), sd[prefix + "3.weight"], sd[prefix + "3.bias"], strides: [2, 2], padding: [1, 1]);
            else
            {
                var inner = Level(nn.functional.instance_norm(down), depth + 1, prefix + "3.model.");
                up = nn.functional.conv_transpose2d(nn.functional.relu(inner), sd[prefix + "5.weight"], sd[prefix + "5.bias"], strides: [2, 2], padding: [1, 1]);
            }
            return cat([skip, nn.functional.instance_norm(up)], 1);
        }

        using var _ = no_grad();
        var expected = Level(x, 0, "model.model.");
        var actual = net.call(x);
        Assert.Equal([1L, 1, 64, 32], actual.shape);
        Assert.True(allclose(actual, expected, rtol: 1e-5, atol: 1e-5), $"max |Δ| = {(actual - expected).abs().max().item<float>()}");
        Assert.True(actual.abs().max().item<float>() <= 1f, "tanh output");
    }

    [Fact]
    public void A_constant_drawing_becomes_its_inverted_grey_and_the_padding_rounds_up_to_256()
    {
        // All weights zero: every conv gives its bias, so the output is tanh(b) of the last transposed conv everywhere.
        using var net = new AnimeLineartGenerator();
        using (no_grad())
        {
            foreach (var t in net.state_dict().Values) t.zero_();
            net.state_dict()["model.model.3.bias"].fill_(MathF.Atanh(0.5f));
        }
        using var rgb = new Mat(96, 160, MatType.CV_8UC3, new Scalar(10, 200, 90));
        using var map = LineartAnimePreprocessor.Detect(net, rgb);
        Assert.Equal((96, 160), (map.Rows, map.Cols));
        // 0.5 · 127.5 + 127.5 = 191.25 → 191 → 255 − 191 = 64 on every pixel (a bicubic resize keeps a constant).
        Assert.Equal(64.0, Cv2.Mean(map).Val0, 3);
        Cv2.MinMaxLoc(map, out double min, out double max);
        Assert.Equal((64.0, 64.0), (min, max));

        Assert.Equal([256, 256, 512, 512, 768], new[] { 64, 256, 257, 512, 513 }.Select(LineartAnimePreprocessor.RoundUp).ToArray());
    }

    [Fact]
    public void The_map_clips_truncates_and_inverts_the_drawing()
    {
        // Bicubic resizing overshoots: −3 and 300 clip to 0 and 255; 191.9 truncates to 191.
        using var drawing = new Mat(1, 5, MatType.CV_32FC1);
        drawing.SetArray(new float[] { -3f, 0f, 191.9f, 255f, 300f });
        using var map = LineartAnimePreprocessor.ToMap(drawing);
        Assert.Equal(new byte[] { 255, 255, 64, 0, 0 }, Enumerable.Range(0, 5).Select(i => map.At<byte>(0, i)).ToArray());
    }

    [Fact]
    public void A_sketch_generator_file_under_the_anime_name_lists_the_missing_keys()
    {
        using var dir = new TempDir();
        using (var wrong = new LineartGenerator()) AnnotatorWeights.Save(wrong, dir[FileName]);
        var e = Assert.Throws<CheckpointMismatchException>(() => new LineartAnimePreprocessor().Run(AnnotatorWeights.Photo(dir.Path)));
        Assert.Contains("model.model.0.weight", e.Missing);
        Assert.Contains("model0.1.weight", e.Unexpected);
        Assert.Contains(FileName, e.Message);
    }

    [Fact]
    public void The_extensions_lineart_modules_name_the_three_preprocessors()
    {
        var modules = ControlNet.Hosting.Runs.A1111Modules.All.ToDictionary(m => m.Name, m => m.Preprocessor);
        Assert.Equal("lineart-anime", modules["lineart_anime"]);
        Assert.Equal("lineart-coarse", modules["lineart_coarse"]);
        Assert.Equal("lineart", modules["lineart_realistic"]);
        Assert.Equal("lineart_anime", ControlNet.Hosting.Runs.A1111Modules.ForPreprocessor("lineart-anime")?.Name);
        Assert.Contains(new LineartPlugin().Preprocessors, p => p.Id == "lineart-anime");
    }

    [Fact]
    public void Without_netG_pth_the_error_names_it_its_size_and_where_to_get_it()
    {
        using var dir = new TempDir();
        var e = Assert.ThrowsAny<Exception>(() => new LineartAnimePreprocessor().Run(AnnotatorWeights.Photo(dir.Path)));
        Assert.Contains("netG.pth (218.0 MB", e.Message);
        Assert.Contains("huggingface.co/lllyasviel/Annotators", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
