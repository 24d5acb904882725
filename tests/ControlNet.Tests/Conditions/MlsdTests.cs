using ControlNet.Abstractions;
using ControlNet.Conditions.Mlsd;
using ControlNet.Conditions.OpenCv;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

public class MlsdTests
{
    [Fact]
    public void Parameter_names_and_shapes_are_those_of_mlsd_large_512_fp32_pth()
    {
        TorchRuntime.EnsureInitialized();
        using var net = new MobileV2MlsdLarge();
        var sd = net.state_dict();
        Assert.Equal([32L, 4, 3, 3], sd["backbone.features.0.0.weight"].shape);
        Assert.Equal([32L], sd["backbone.features.0.1.running_mean"].shape);
        Assert.True(sd.ContainsKey("backbone.features.0.1.num_batches_tracked"));
        Assert.Equal([32L, 1, 3, 3], sd["backbone.features.1.conv.0.0.weight"].shape);  // t = 1: depth-wise first
        Assert.Equal([16L, 32, 1, 1], sd["backbone.features.1.conv.1.weight"].shape);
        Assert.Equal([96L, 16, 1, 1], sd["backbone.features.2.conv.0.0.weight"].shape); // t = 6: expand first
        Assert.Equal([96L], sd["backbone.features.13.conv.3.running_var"].shape);
        Assert.False(sd.ContainsKey("backbone.features.14.conv.0.0.weight"));
        Assert.Equal([64L, 96, 1, 1], sd["block15.conv1.0.weight"].shape);
        Assert.Equal([64L, 64, 1, 1], sd["block15.conv2.0.weight"].shape);
        Assert.Equal([64L, 16, 1, 1], sd["block21.conv2.0.weight"].shape);
        Assert.Equal([128L, 128, 3, 3], sd["block22.conv1.0.weight"].shape);
        Assert.Equal([16L, 64, 1, 1], sd["block23.conv3.weight"].shape);
        Assert.False(sd.ContainsKey("block23.conv3.1.weight"));
    }

    [Fact]
    public void Random_weights_saved_as_pth_load_back_and_run_on_a_photo()
    {
        using var dir = new TempDir();
        TorchRuntime.EnsureInitialized();
        manual_seed(6);
        using var net = new MobileV2MlsdLarge();
        AnnotatorWeights.Save(net, dir["mlsd_large_512_fp32.pth"]);

        var source = AnnotatorWeights.Photo(dir.Path);
        var map = new MlsdPreprocessor().Run(source, new Dictionary<string, string> { ["detect-resolution"] = "128" });
        Assert.Equal((128, 128, 3, SampleDepth.Eight), (map.Width, map.Height, map.Channels, map.Depth));
        Assert.All(map.Data!, b => Assert.True(b is 0 or 255));

        using var rgb = Mats.FromImage(source.Image!);
        using var resized = ReferenceResizer.Apply(rgb, 128);
        var lines = MlsdPreprocessor.Detect(net, resized, 0.1, 0.1);
        Assert.InRange(lines.Count, 0, MlsdLineDecoder.TopK);
        using var drawn = MlsdPreprocessor.Draw(lines, 128, 128);
        using var expected = Mats.Hwc3(drawn);
        Assert.Equal(Mats.ToImage(expected).Data, map.Data);
    }

    [Fact]
    public void Decoding_keeps_local_maxima_above_the_value_threshold_whose_segments_are_long_enough()
    {
        TorchRuntime.EnsureInitialized();
        var maps = full(new long[] { 1, 9, 8, 8 }, -10f);  // background: sigmoid(−10) ≈ 0, far below 0.1
        maps[0, 1..5].zero_();
        void Centre(int y, int x, float logit, float dx1, float dy1, float dx2, float dy2)
        {
            maps[0, 0, y, x] = logit;
            maps[0, 1, y, x] = dx1; maps[0, 2, y, x] = dy1; maps[0, 3, y, x] = dx2; maps[0, 4, y, x] = dy2;
        }
        Centre(2, 3, 5f, -1f, 0f, 2f, 0f);       // kept: score 0.993, length 3
        Centre(2, 4, 4f, -1f, 0f, 2f, 0f);       // suppressed: its 3×3 neighbour (2, 3) is higher
        Centre(5, 5, 0f, 0f, 0f, 0.05f, 0f);     // score 0.5 but length 0.05 ≤ 0.1
        Centre(7, 0, -3f, 0f, 0f, 3f, 3f);       // long but score 0.047 ≤ 0.1

        var line = Assert.Single(MlsdLineDecoder.Decode(maps, 0.1, 0.1));
        Assert.Equal((4f, 4f, 10f, 4f), (line.X1, line.Y1, line.X2, line.Y2)); // (centre + displacement) × 2
        Assert.Equal(1 / (1 + Math.Exp(-5)), line.Score, 5);

        var all = MlsdLineDecoder.Decode(maps, 0.1, 0.0);
        Assert.Equal(2, all.Count);
        Assert.Contains(all, l => (l.X1, l.Y1, l.X2, l.Y2) == (10f, 10f, 10.1f, 10f));
        Assert.Equal(3, MlsdLineDecoder.Decode(maps, 0.04, 0.0).Count);
        maps.Dispose();
    }

    [Fact]
    public void Segments_are_drawn_one_pixel_wide_with_truncated_endpoints()
    {
        OpenCvNative.EnsureLoaded();
        using var canvas = MlsdPreprocessor.Draw([new LineSegment(4.9f, 4.2f, 10.7f, 4.9f, 1f)], 16, 16);
        Assert.Equal(7, Cv2.CountNonZero(canvas)); // (4, 4) … (10, 4)
        for (var x = 4; x <= 10; x++) Assert.Equal(255, canvas.At<byte>(4, x));
    }
}
