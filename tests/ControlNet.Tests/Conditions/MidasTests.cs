using System.Diagnostics;
using ControlNet.Abstractions;
using ControlNet.Checkpoints;
using ControlNet.Conditions.Depth;
using ControlNet.Conditions.OpenCv;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

public class MidasTests
{
    const string FileName = "dpt_hybrid-midas-501f0c75.pt";

    /// <summary>
    /// The state dict of MiDaS's DPTDepthModel(backbone="vitb_rn50_384") under timm 0.6.12, written out from the reference's
    /// structure (dpt_depth.py, blocks.py, vit.py; timm resnetv2 / vision_transformer(_hybrid)), independently of the module.
    /// </summary>
    static Dictionary<string, long[]> ReferenceKeys()
    {
        var keys = new Dictionary<string, long[]>();
        void Add(string name, params long[] shape) => keys.Add(name, shape);
        void Norm(string name, long c) { Add(name + ".weight", c); Add(name + ".bias", c); }
        void Linear(string name, long cout, long cin) { Add(name + ".weight", cout, cin); Add(name + ".bias", cout); }
        void Conv(string name, long cout, long cin, long k, bool bias = true) { Add(name + ".weight", cout, cin, k, k); if (bias) Add(name + ".bias", cout); }

        const string vit = "pretrained.model.";
        Add(vit + "cls_token", 1, 1, 768);
        Add(vit + "pos_embed", 1, 577, 768);
        const string rn = vit + "patch_embed.backbone.";
        Conv(rn + "stem.conv", 64, 3, 7, bias: false);
        Norm(rn + "stem.norm", 64);
        long cin = 64;
        foreach (var (stage, cout, depth) in new[] { (0, 256L, 3), (1, 512L, 4), (2, 1024L, 9) })
            for (int b = 0; b < depth; b++)
            {
                var p = $"{rn}stages.{stage}.blocks.{b}.";
                if (b == 0) { Conv(p + "downsample.conv", cout, cin, 1, bias: false); Norm(p + "downsample.norm", cout); }
                Conv(p + "conv1", cout / 4, b == 0 ? cin : cout, 1, bias: false); Norm(p + "norm1", cout / 4);
                Conv(p + "conv2", cout / 4, cout / 4, 3, bias: false); Norm(p + "norm2", cout / 4);
                Conv(p + "conv3", cout, cout / 4, 1, bias: false); Norm(p + "norm3", cout);
                if (b == depth - 1) cin = cout;
            }
        Conv(vit + "patch_embed.proj", 768, 1024, 1);
        for (int i = 0; i < 12; i++)
        {
            var p = $"{vit}blocks.{i}.";
            Norm(p + "norm1", 768); Linear(p + "attn.qkv", 2304, 768); Linear(p + "attn.proj", 768, 768);
            Norm(p + "norm2", 768); Linear(p + "mlp.fc1", 3072, 768); Linear(p + "mlp.fc2", 768, 3072);
        }
        Norm(vit + "norm", 768);
        Linear(vit + "head", 1000, 768);
        foreach (var n in new[] { 3, 4 })
        {
            Linear($"pretrained.act_postprocess{n}.0.project.0", 768, 1536);
            Conv($"pretrained.act_postprocess{n}.3", 768, 768, 1);
        }
        Conv("pretrained.act_postprocess4.4", 768, 768, 3);
        long[] inputs = [256, 512, 768, 768];
        for (int i = 1; i <= 4; i++)
        {
            Conv($"scratch.layer{i}_rn", 256, inputs[i - 1], 3, bias: false);
            Conv($"scratch.refinenet{i}.out_conv", 256, 256, 1);
            foreach (var unit in new[] { "resConfUnit1", "resConfUnit2" })
                foreach (var conv in new[] { "conv1", "conv2" })
                    Conv($"scratch.refinenet{i}.{unit}.{conv}", 256, 256, 3);
        }
        Conv("scratch.output_conv.0", 128, 256, 3);
        Conv("scratch.output_conv.2", 32, 128, 3);
        Conv("scratch.output_conv.4", 1, 32, 1);
        return keys;
    }

    [Fact]
    public void Parameter_names_and_shapes_are_those_of_dpt_hybrid_midas_pt()
    {
        TorchRuntime.EnsureInitialized();
        using var net = new MidasDptHybrid();
        var sd = net.state_dict();
        var expected = ReferenceKeys();
        Assert.Equal(368, expected.Count);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), sd.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, shape) in expected) Assert.True(shape.SequenceEqual(sd[name].shape), $"{name}: [{string.Join(", ", sd[name].shape)}], expected [{string.Join(", ", shape)}]");
        // 123 M parameters, as MiDaS lists DPT-Hybrid.
        Assert.InRange(expected.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)), 122_000_000, 124_000_000);
    }

    [Fact]
    public void Random_weights_saved_like_the_public_file_load_back_and_run_on_a_photo()
    {
        TorchRuntime.EnsureInitialized();
        using var dir = new TempDir();
        var clock = Stopwatch.StartNew();
        manual_seed(7);
        using var net = new MidasDptHybrid();
        // Random decoder weights end below zero almost everywhere, and the head's final ReLU (non_negative) would make the
        // depth constant: a positive bias on the last 1×1 conv keeps it varied.
        using (no_grad()) net.state_dict()["scratch.output_conv.4.bias"].fill_(0.5);
        // The public file is torch.save(model.state_dict()): the keys at the top level, no prefix.
        AnnotatorWeights.Save(net, dir[FileName]);
        var options = new Dictionary<string, string> { ["detect-resolution"] = "64" };

        var map = new MidasDepthPreprocessor().Run(AnnotatorWeights.Photo(dir.Path), options);
        Assert.Equal((64, 64, 3, SampleDepth.Eight), (map.Width, map.Height, map.Channels, map.Depth));
        Assert.All(Enumerable.Range(0, 64 * 64), i => Assert.True(map.Data![3 * i] == map.Data[3 * i + 1] && map.Data[3 * i] == map.Data[3 * i + 2]));
        // Min–max normalised: the nearest pixel is 255 and the farthest 0.
        Assert.Equal((byte)0, map.Data!.Min());
        Assert.Equal((byte)255, map.Data!.Max());
        Assert.True(map.Data!.Distinct().Count() > 8, $"a random MiDaS on a photo gives a varied map ({map.Data!.Distinct().Count()} levels)");

        // The file's weights are the module's: the in-memory network gives the same raw depth, and the map is its min–max.
        using var rgb = Mats.FromImage(AnnotatorWeights.Photo(dir.Path).Image!.ToRgb8());
        using var resized = ReferenceResizer.Apply(rgb, 64);
        using var raw = MidasDepthEstimator.Estimate(net, resized);
        Assert.Equal(MatType.CV_32FC1, raw.Type());
        Assert.Equal((64, 64), (raw.Cols, raw.Rows));
        raw.GetArray(out float[] depth);
        Assert.All(depth, d => Assert.True(d >= 0 && float.IsFinite(d), $"non-negative depth, got {d}"));
        float min = depth.Min(), range = depth.Max() - min;
        Assert.Equal(depth.Select(d => (byte)Math.Clamp((d - min) / range * 255f, 0f, 255f)), Enumerable.Range(0, 64 * 64).Select(i => map.Data![3 * i]));

        // The normal map from the same raw depth, as control_sd15_normal was fed: unit vectors, z (R) never negative.
        var normal = new MidasNormalPreprocessor().Run(AnnotatorWeights.Photo(dir.Path), options);
        Assert.Equal((64, 64, 3, SampleDepth.Eight), (normal.Width, normal.Height, normal.Channels, normal.Depth));
        Assert.Equal(DepthToNormal.Compute(raw, 0.4).Data, normal.Data);
        Assert.All(Enumerable.Range(0, 64 * 64), i => Assert.True(normal.Data![3 * i] >= 127));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Raw_depth_equals_the_reference_implementation_on_formula_weights()
    {
        // TestData/midas-parity.py ran ControlNet's annotator/midas DPTDepthModel (timm 0.6.12, torch 1.13) with these
        // formula weights on this formula image (64×96: a 4×6 token grid, so the position grid is resized too).
        TorchRuntime.EnsureInitialized();
        OpenCvNative.EnsureLoaded();
        using var net = new MidasDptHybrid();
        using (no_grad())
        {
            int t = 0;
            foreach (var (name, p) in net.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                using var scope = NewDisposeScope();
                long n = p.numel();
                var b = sin(arange(n, dtype: ScalarType.Float64) * 0.7 + 0.3 * t);      // in float64, as numpy
                var v = p.dim() >= 2 ? b / Math.Sqrt(n / p.shape[0]) : name.EndsWith("weight", StringComparison.Ordinal) ? 1.0 + 0.1 * b : 0.1 * b;
                p.copy_(v.to_type(ScalarType.Float32).reshape(p.shape));
                t++;
            }
            net.state_dict()["scratch.output_conv.4.bias"].fill_(0.5);
        }
        const int h = 64, w = 96;
        var rgb = new byte[h * w * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = 3 * (y * w + x);
                (rgb[i], rgb[i + 1], rgb[i + 2]) = ((byte)((x * 5 + y * 3) % 256), (byte)((x * x + 7 * y) % 256), (byte)(((255 - 4 * y + x) % 256 + 256) % 256));
            }
        using var image = Mats.FromImage(ConditionImage.Rgb(w, h, rgb));
        using var depth = MidasDepthEstimator.Estimate(net, image);
        depth.GetArray(out float[] ours);
        var reference = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(TestImages.Path("midas-parity-64x96.bin"))).ToArray();
        Assert.Equal(reference.Length, ours.Length);
        double maxDiff = ours.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff < 1e-5, $"max |ours − reference| = {maxDiff} (reference range {reference.Min()}–{reference.Max()})");
        // And the 8-bit map, where min–max stretches the small range of these weights: within one level.
        using var refMat = new Mat(h, w, MatType.CV_32FC1);
        refMat.SetArray(reference);
        var (ourMap, referenceMap) = (MidasDepthEstimator.ToDepthMap(depth).Data!, MidasDepthEstimator.ToDepthMap(refMat).Data!);
        Assert.All(Enumerable.Range(0, ourMap.Length), i => Assert.InRange(ourMap[i] - referenceMap[i], -1, 1));
    }

    static Mat DepthMat(int w, int h, Func<int, int, double> f)
    {
        OpenCvNative.EnsureLoaded();
        var m = new Mat(h, w, MatType.CV_32FC1);
        var v = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                v[y * w + x] = (float)f(x, y);
        m.SetArray(v);
        return m;
    }

    static (double X, double Y, double Z) Decode(ConditionImage n, int x, int y)
    {
        var (r, g, b) = n.Rgb(x, y);   // written as (z, y, x)
        return ((b - 127.5) / 127.5, (g - 127.5) / 127.5, (r - 127.5) / 127.5);
    }

    [Fact]
    public void Normals_of_a_tilted_plane_are_the_Sobel_gradients_over_two_pi_and_the_background_is_flat()
    {
        // depth = 3x + 2y: Sobel (ksize 3) gives 8·3 and 8·2 inside; normalised depth = (3x + 2y) / (3·63 + 2·63).
        using var plane = DepthMat(64, 64, (x, y) => 3.0 * x + 2.0 * y);
        var map = DepthToNormal.Compute(plane, 0.4);
        double len = Math.Sqrt(24 * 24 + 16 * 16 + 4 * Math.PI * Math.PI);
        byte Expected(double n) => (byte)(n * 127.5 + 127.5);
        for (int y = 1; y < 63; y++)
            for (int x = 1; x < 63; x++)
            {
                bool background = (3.0 * x + 2.0 * y) / (5.0 * 63) < 0.4;
                var expected = background ? ((byte)255, (byte)127, (byte)127) : (Expected(2 * Math.PI / len), Expected(16 / len), Expected(24 / len));
                var (r, g, b) = map.Rgb(x, y);
                Assert.True(Math.Abs(r - expected.Item1) <= 1 && Math.Abs(g - expected.Item2) <= 1 && Math.Abs(b - expected.Item3) <= 1,
                    $"({x}, {y}): ({r}, {g}, {b}), expected {expected}");
            }
        Assert.Equal((255, 127, 127), map.Rgb(5, 5));       // near the far corner: background
        Assert.NotEqual((255, 127, 127), map.Rgb(60, 60));
    }

    [Fact]
    public void Normals_of_a_sphere_point_away_from_its_centre_and_its_rim_is_background()
    {
        // A hemisphere of radius R, near = large, scaled by 2π/8 so that Sobel/8 is the slope and z = 1:
        // n ∝ (∂h/∂x, ∂h/∂y, 1) = (−(x − c)/h, −(y − c)/h, 1) ∝ (−(x − c), −(y − c), h) / R, a unit vector.
        const int size = 201, c = 100;
        const double radius = 90, scale = Math.PI * 2 / 8;
        double H(int x, int y) => Math.Sqrt(Math.Max(radius * radius - (x - c) * (x - c) - (y - c) * (y - c), 0));
        using var sphere = DepthMat(size, size, (x, y) => scale * H(x, y));
        var map = DepthToNormal.Compute(sphere, 0.4);
        foreach (var (x, y) in new[] { (c, c), (c + 40, c), (c, c - 50), (c - 30, c + 30), (c + 45, c + 45), (c - 60, c - 20) })
        {
            var n = Decode(map, x, y);
            double h = H(x, y);
            Assert.True(h / radius >= 0.4, "a point on the sphere, not background");
            Assert.Equal(-(x - c) / radius, n.X, 0.025);
            Assert.Equal(-(y - c) / radius, n.Y, 0.025);
            Assert.Equal(h / radius, n.Z, 0.025);
        }
        // Off the sphere and on its rim (normalised depth h/R below 0.4): the flat normal.
        Assert.Equal((255, 127, 127), map.Rgb(2, 2));
        Assert.True(H(c + 85, c) / radius < 0.4);
        Assert.Equal((255, 127, 127), map.Rgb(c + 85, c));
    }

    [Fact]
    public void A_file_with_other_keys_names_them_and_a_truncated_one_is_a_one_line_error()
    {
        TorchRuntime.EnsureInitialized();
        using var dir = new TempDir();
        // What a DPT-Large file would hold in a few places: other shapes, ViT-only reassembly, no ResNet.
        var tensors = new List<TensorRef>
        {
            new InMemoryTensorRef("pretrained.model.pos_embed", zeros(1, 577, 1024)),
            new InMemoryTensorRef("pretrained.model.patch_embed.proj.weight", zeros(1024, 3, 16, 16)),
            new InMemoryTensorRef("pretrained.act_postprocess1.3.weight", zeros(256, 1024, 1, 1)),
        };
        TorchZipWriter.Write(dir[FileName], tensors);
        using (var net = new MidasDptHybrid())
        {
            var e = Assert.Throws<CheckpointMismatchException>(() => AnnotatorWeights.Provider(dir.Path).LoadInto(net, MidasDepthEstimator.Weights));
            Assert.Equal(["pretrained.act_postprocess1.3.weight"], e.Unexpected);
            Assert.Contains("pretrained.model.pos_embed: file [1, 577, 1024], module [1, 577, 768]", e.Misshaped);
            Assert.Contains("pretrained.model.patch_embed.backbone.stem.conv.weight", e.Missing);
            Assert.Equal(368 - 2, e.Missing.Count);
            Assert.Contains(FileName, e.Message);
        }

        var bytes = File.ReadAllBytes(dir[FileName]);
        File.WriteAllBytes(dir[FileName], bytes[..(bytes.Length * 2 / 3)]);
        var truncated = Assert.Throws<InvalidDataException>(() => new MidasDepthPreprocessor().Run(AnnotatorWeights.Photo(dir.Path)));
        Assert.Contains(FileName, truncated.Message);
        Assert.Contains("Re-download", truncated.Message);
        Assert.DoesNotContain('\n', truncated.Message);
    }

    [Fact]
    public void Without_the_file_depth_and_normal_name_it_its_size_and_where_to_get_it()
    {
        using var dir = new TempDir();
        foreach (var pre in new IPreprocessor[] { new MidasDepthPreprocessor(), new MidasNormalPreprocessor() })
        {
            var e = Assert.Throws<FileNotFoundException>(() => pre.Run(AnnotatorWeights.Photo(dir.Path), new Dictionary<string, string>()));
            Assert.Contains("dpt_hybrid-midas-501f0c75.pt (493.0 MB, https://huggingface.co/lllyasviel/Annotators/resolve/main/dpt_hybrid-midas-501f0c75.pt)", e.Message);
            Assert.Contains("--annotator-path", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }
}
