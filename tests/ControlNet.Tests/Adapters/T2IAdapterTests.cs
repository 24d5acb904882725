using System.Text.Json;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Models.Adapters;
using ControlNet.Pipelines;
using ControlNet.Tests.Pipelines;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Adapters;

/// <summary>
/// T2I-Adapter: the public files' key layouts (TencentARC .pth and diffusers folders) load strictly, and the adapter's
/// features go through the same denoiser arithmetic as a ControlNet's (scale, window, summing with ControlNets).
/// Toy-sized adapters (pixel space: unshuffle 1) on the toy U-Net, fixed seeds.
/// </summary>
public class T2IAdapterTests : IDisposable
{
    static readonly UNetArchitecture Toy = ToyUNet.Architecture;
    readonly ToyUNet _unet = TinyModels.UNet(1);
    readonly ToyControlNet _cn = TinyModels.ControlNet(11);
    readonly Tensor _x, _t, _cond, _uncond;
    readonly IDisposable _noGrad = torch.no_grad();
    readonly string _folder = TinyModels.TempFolder();

    public T2IAdapterTests()
    {
        var g = new Generator(7);
        _x = torch.randn(new long[] { 1, 3, 16, 16 }, generator: g);          // [B=1, 3, 16, 16] (pixel space)
        _t = torch.tensor(501f);
        _cond = torch.randn(new long[] { 1, 77, 64 }, generator: g);
        _uncond = torch.randn(new long[] { 1, 77, 64 }, generator: g);
    }

    static T2IAdapterConfig ToyFull(int inChannels = 3) => new(T2IAdapterType.Full, inChannels, [32, 64, 64], 2, DownscaleFactor: 1);
    static T2IAdapterConfig ToyLight(int inChannels = 1) => new(T2IAdapterType.Light, inChannels, [32, 64, 64], 4, DownscaleFactor: 1);

    static T2IAdapter Random(T2IAdapterConfig config, int seed)
    {
        torch.manual_seed(seed);
        var adapter = new T2IAdapter(config, Toy);
        adapter.eval();
        return adapter;
    }

    /// <summary>TencentARC layout: unprefixed keys in a torch zip pickle, as t2iadapter_*_sd14v1.pth.</summary>
    string WritePth(T2IAdapter adapter, string name)
    {
        var path = Path.Combine(_folder, name);
        TorchZipWriter.Write(path, adapter.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(kv.Key, kv.Value)).ToList());
        return path;
    }

    /// <summary>diffusers layout: a folder with config.json (_class_name T2IAdapter) and diffusion_pytorch_model.safetensors.</summary>
    string WriteDiffusers(T2IAdapter adapter, string name)
    {
        var dir = Path.Combine(_folder, name);
        Directory.CreateDirectory(dir);
        var c = adapter.Config;
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["_class_name"] = "T2IAdapter", ["in_channels"] = c.InChannels, ["num_res_blocks"] = c.NumResBlocks, ["downscale_factor"] = c.DownscaleFactor,
            ["adapter_type"] = c.Type == T2IAdapterType.Full ? "full_adapter" : "light_adapter",
            ["channels"] = c.Type == T2IAdapterType.Full ? c.Channels.ToArray() : c.Channels.Take(c.Levels - 1).ToArray(),
        }));
        var tensors = adapter.state_dict().Select(kv => KeyMap.T2IAdapterToDiffusers(new InMemoryTensorRef(kv.Key, kv.Value), c)
            ?? throw new InvalidOperationException($"no diffusers name for {kv.Key}")).ToList();
        Assert.All(tensors, t => Assert.StartsWith("adapter.", t.Name));
        SafetensorsWriter.Write(Path.Combine(dir, "diffusion_pytorch_model.safetensors"), tensors);
        return dir;
    }

    static void AssertSameWeights(nn.Module expected, nn.Module actual)
    {
        var a = expected.state_dict();
        var b = actual.state_dict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (k, v) in a) Assert.True(v.equal(b[k]).all().item<bool>(), k);
    }

    [Fact]
    public void Sd14_adapters_have_the_public_files_keys_and_shapes()
    {
        // Shapes only (meta device): the facts diffusers' convert_original_t2i_adapter.py asserts on the released files.
        using var full = new T2IAdapter(T2IAdapterConfig.Sd14Full(3), Sd15UNet.Architecture, torch.META);
        var sd = full.state_dict();
        Assert.Equal(38, sd.Count);                                             // conv_in, 8 blocks × 2 convs, 2 widening in_convs
        Assert.Equal(new long[] { 320, 192, 3, 3 }, sd["conv_in.weight"].shape);
        Assert.Equal(new long[] { 320, 320, 3, 3 }, sd["body.0.block1.weight"].shape);
        Assert.Equal(new long[] { 320, 320, 1, 1 }, sd["body.0.block2.weight"].shape);
        Assert.Equal(new long[] { 640, 320, 1, 1 }, sd["body.2.in_conv.weight"].shape);
        Assert.Equal(new long[] { 1280, 640, 1, 1 }, sd["body.4.in_conv.weight"].shape);
        Assert.Equal(new long[] { 1280, 1280, 3, 3 }, sd["body.6.block1.weight"].shape);
        Assert.False(sd.ContainsKey("body.6.in_conv.weight"));
        Assert.Equal(new[] { 2, 5, 8, 11 }, Sd15UNet.Architecture.LevelEndBlocks());

        using var light = new T2IAdapter(T2IAdapterConfig.Sd14Light(3), Sd15UNet.Architecture, torch.META);
        var ls = light.state_dict();
        Assert.Equal(80, ls.Count);                                             // 4 levels × (in, out, 4 blocks × 2 convs)
        Assert.Equal(new long[] { 80, 192, 1, 1 }, ls["body.0.in_conv.weight"].shape);
        Assert.Equal(new long[] { 80, 80, 3, 3 }, ls["body.0.body.3.block2.weight"].shape);
        Assert.Equal(new long[] { 1280, 320, 1, 1 }, ls["body.3.out_conv.weight"].shape);

        // One row per key in both directions: the diffusers names are those of the converted files.
        var names = sd.Select(kv => KeyMap.T2IAdapterToDiffusers(ShapeOnly(kv.Key, kv.Value), full.Config)!.Name).ToHashSet();
        Assert.Equal(38, names.Count);
        Assert.Contains("adapter.body.1.in_conv.weight", names);
        Assert.Contains("adapter.body.3.resnets.1.block2.bias", names);
        var lightNames = ls.Select(kv => KeyMap.T2IAdapterToDiffusers(ShapeOnly(kv.Key, kv.Value), light.Config)!.Name).ToHashSet();
        Assert.Contains("adapter.body.2.resnets.3.block1.weight", lightNames);
        Assert.Contains("adapter.body.0.out_conv.bias", lightNames);
    }

    static TensorRef ShapeOnly(string name, Tensor meta) =>
        new ComputedTensorRef(name, TensorDType.F32, meta.shape, () => throw new InvalidOperationException("shape only"));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Random_adapters_in_both_public_layouts_load_strictly(bool light)
    {
        using var written = Random(light ? ToyLight() : ToyFull(), 21);
        foreach (var source in new[] { WritePth(written, "t2iadapter_toy.pth"), WriteDiffusers(written, "t2iadapter_toy") })
        {
            using var checkpoint = CheckpointLoader.Open(source);
            Assert.True(checkpoint.Has(ModelComponent.T2IAdapter), checkpoint.Format);
            Assert.Equal(source.EndsWith(".pth") ? KeyLayout.Ldm : KeyLayout.Diffusers, checkpoint[ModelComponent.T2IAdapter].SourceLayout);
            var loaded = ControlNetPipelineLoader.LoadT2IAdapter(checkpoint, Toy, false, torch.CPU, ScalarType.Float32);
            using var adapter = (T2IAdapter)loaded.Model;
            Assert.Equal(written.Config, adapter.Config);
            AssertSameWeights(written, adapter);
        }
    }

    [Fact]
    public void An_adapter_for_another_base_model_is_a_one_line_error()
    {
        torch.manual_seed(3);
        using var other = new T2IAdapter(new T2IAdapterConfig(T2IAdapterType.Full, 3, [32, 32, 32], 2, 1),
            ToyUNet.Architecture with { ChannelMult = [1, 1, 1] });
        using var checkpoint = CheckpointLoader.Open(WritePth(other, "other.pth"));
        var e = Assert.Throws<InvalidDataException>(() => ControlNetPipelineLoader.LoadT2IAdapter(checkpoint, Toy, false, torch.CPU, ScalarType.Float32));
        Assert.Contains("level widths (32, 32, 32) differ from the U-Net's (32, 64, 64)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    PreparedControl Prepare(string key, IConditionAdapter adapter, ControlSettings s, Tensor condition)
    {
        var (scales, condOnly) = ControlWeights.For(s, Toy, false);
        return new PreparedControl(key, adapter, adapter.EncodeCondition(condition), scales, condOnly, false, s.Start, s.End);
    }

    static ControlSettings Settings(double strength = 1, double end = 1) =>
        new() { ControlNet = "x", Condition = TinyModels.Square(16, 4, 12), Strength = strength, End = end };

    static Tensor Condition(int channels) =>
        ImageFitting.ConditionTensor(TinyModels.Square(16, 4, 12), 16, 16, ResizeMode.JustResize, channels);   // [1, C, 16, 16]

    [Fact]
    public void The_adapter_changes_eps_and_at_scale_0_eps_is_the_plain_unets_bit_for_bit()
    {
        using var adapter = Random(ToyFull(), 22);
        var plain = new GuidedDenoiser(_unet, _cond, _uncond, 7.5, [], 10).Predict(_x, _t, 0);
        var steered = new GuidedDenoiser(_unet, _cond, _uncond, 7.5, [Prepare("a", adapter, Settings(1.0), Condition(3))], 10).Predict(_x, _t, 0);
        var zero = new GuidedDenoiser(_unet, _cond, _uncond, 7.5, [Prepare("a", adapter, Settings(0.0), Condition(3))], 10).Predict(_x, _t, 0);
        Assert.True((steered - plain).abs().max().item<float>() > 1e-3, "the adapter's features must change ε");
        Assert.True(zero.equal(plain).all().item<bool>(), "scale 0 must leave ε bit-identical");
    }

    [Fact]
    public void Adapter_and_controlnet_in_one_generation_sum_both_as_computed_separately()
    {
        using var adapter = Random(ToyLight(1), 23);
        var a = Prepare("a", adapter, Settings(0.8), Condition(1));
        var c = Prepare("c", _cn, Settings(1.2), Condition(3));
        var alone = new GuidedDenoiser(_unet, _cond, _uncond, 1, [a], 10).Additions(_x, _t, 0);   // guidance ≤ 1: conditional pass only
        var cnAlone = new GuidedDenoiser(_unet, _cond, _uncond, 1, [c], 10).Additions(_x, _t, 0);
        var both = new GuidedDenoiser(_unet, _cond, _uncond, 1, [a, c], 10);
        var sum = both.Additions(_x, _t, 0);
        Assert.Null(alone.Residuals);
        Assert.Null(cnAlone.EncoderFeatures);
        Assert.Equal(Toy.LevelEndBlocks(), Enumerable.Range(0, Toy.InputBlockCount).Where(i => sum.EncoderFeatures![i] is not null));
        for (int i = 0; i < Toy.InputBlockCount; i++)
            if (alone.EncoderFeatures![i] is { } f) Assert.True(f.equal(sum.EncoderFeatures![i]!).all().item<bool>(), $"feature {i}");
        for (int i = 0; i < Toy.ResidualCount; i++) Assert.True(cnAlone.Residuals![i].equal(sum.Residuals![i]).all().item<bool>(), $"residual {i}");

        var byHand = _unet.Forward(_x, _t.reshape(1), _cond, cnAlone.Residuals, encoderAdditions: alone.EncoderFeatures);
        var eps = both.Predict(_x, _t, 0);
        Assert.True(eps.equal(byHand).all().item<bool>());
        var cnOnly = new GuidedDenoiser(_unet, _cond, _uncond, 1, [c], 10).Predict(_x, _t, 0);
        Assert.True((eps - cnOnly).abs().max().item<float>() > 1e-4, "the adapter must add to the ControlNet's effect");
    }

    [Theory]
    [InlineData(10, 0.3)]
    [InlineData(10, 0.5)]
    [InlineData(7, 0.5)]
    [InlineData(20, 0.75)]
    public void Factor_cuts_the_adapter_off_after_step_int_N_times_factor(int steps, double factor)
    {
        // diffusers adapter_conditioning_factor: features on while i < int(N · factor); our window end is that factor.
        using var adapter = Random(ToyFull(), 24);
        var d = new GuidedDenoiser(_unet, _cond, _uncond, 7.5, [Prepare("a", adapter, Settings(end: factor), Condition(3))], steps);
        for (int i = 0; i < steps; i++)
            Assert.Equal(i < (int)(steps * factor), d.Additions(_x, _t, i).EncoderFeatures is not null);
        Assert.Equal((int)(steps * factor), d.AdapterForwards);
    }

    public void Dispose()
    {
        _noGrad.Dispose();
        _unet.Dispose();
        _cn.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}
