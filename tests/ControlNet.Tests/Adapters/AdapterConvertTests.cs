using System.Text.Json;
using ControlNet.Checkpoints;
using ControlNet.Cli;
using ControlNet.Models;
using ControlNet.Models.Adapters;
using ControlNet.Pipelines;
using ControlNet.Tests.Cli;
using ControlNet.Tests.Pipelines;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Adapters;

/// <summary>
/// controlnet convert of adapters: a TencentARC T2I-Adapter .pth becomes a diffusers T2IAdapter folder (config.json +
/// diffusion_pytorch_model.safetensors, as diffusers ships them) and back to TencentARC's bare keys, weights unchanged;
/// the style adapter, which diffusers has no class for, converts within TencentARC's layout only.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class AdapterConvertTests : IDisposable
{
    readonly string _folder = TinyModels.TempFolder();

    string Out(string name) => Path.Combine(_folder, name);

    static List<TensorRef> Refs(nn.Module module) =>
        module.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(kv.Key, kv.Value)).ToList();

    static void AssertSameWeights(nn.Module expected, nn.Module actual)
    {
        var a = expected.state_dict();
        var b = actual.state_dict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (k, v) in a) Assert.True(v.equal(b[k]).all().item<bool>(), k);
    }

    static T2IAdapter Load(string source)
    {
        using var checkpoint = CheckpointLoader.Open(source);
        return (T2IAdapter)ControlNetPipelineLoader.LoadT2IAdapter(checkpoint, ToyUNet.Architecture, false, torch.CPU, ScalarType.Float32).Model;
    }

    [Theory]
    [InlineData(T2IAdapterType.Full, 3, 2)]
    [InlineData(T2IAdapterType.Light, 1, 4)]
    public void A_tencentarc_adapter_converts_to_a_diffusers_folder_and_back_unchanged(T2IAdapterType type, int inChannels, int resBlocks)
    {
        torch.manual_seed(91);
        using var written = new T2IAdapter(new T2IAdapterConfig(type, inChannels, [32, 64, 64], resBlocks, DownscaleFactor: 1), ToyUNet.Architecture);
        TinyModels.Randomize(written, 91);
        var pth = Out("t2iadapter_toy.pth");
        TorchZipWriter.Write(pth, Refs(written));

        using (var checkpoint = CheckpointLoader.Open(pth))
            CheckpointConverter.Convert(checkpoint, Out("diffusers"), KeyLayout.Diffusers);
        using (var config = JsonDocument.Parse(File.ReadAllText(Out("diffusers/config.json"))))
        {
            var root = config.RootElement;
            Assert.Equal("T2IAdapter", root.GetProperty("_class_name").GetString());
            Assert.Equal(type == T2IAdapterType.Full ? "full_adapter" : "light_adapter", root.GetProperty("adapter_type").GetString());
            // diffusers' light adapter lists one width fewer than its levels (its last block repeats the last width).
            Assert.Equal(type == T2IAdapterType.Full ? [32, 64, 64] : new[] { 32, 64 }, root.GetProperty("channels").EnumerateArray().Select(e => e.GetInt32()));
            Assert.Equal((inChannels, resBlocks, 1), (root.GetProperty("in_channels").GetInt32(), root.GetProperty("num_res_blocks").GetInt32(), root.GetProperty("downscale_factor").GetInt32()));
        }
        using (var sd = WeightsFile.Open(Out("diffusers/diffusion_pytorch_model.safetensors")))
            Assert.All(sd.Tensors, t => Assert.StartsWith("adapter.", t.Name));                      // diffusers' T2IAdapter names
        using (var fromDiffusers = Load(Out("diffusers"))) AssertSameWeights(written, fromDiffusers);

        using (var checkpoint = CheckpointLoader.Open(Out("diffusers")))
            CheckpointConverter.Convert(checkpoint, Out("back.pth"), KeyLayout.Ldm);
        using (var sd = WeightsFile.Open(Out("back.pth")))
            Assert.Equal(written.state_dict().Keys.Order(), sd.Tensors.Select(t => t.Name).Order());   // TencentARC's bare keys
        using var back = Load(Out("back.pth"));
        AssertSameWeights(written, back);
    }

    [Fact]
    public void The_style_adapter_converts_within_tencentarcs_layout_and_to_diffusers_is_a_one_line_error()
    {
        torch.manual_seed(92);
        using var style = new StyleAdapter(new StyleAdapterConfig(64, 64, StyleAdapterConfig.TencentArcHeads, 1, 4));
        var pth = Out("t2iadapter_style_toy.pth");
        TorchZipWriter.Write(pth, Refs(style));

        // The CLI's default target for a TencentARC file is diffusers: refused in one line that names the fix.
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var err = new StringWriter();
        Console.SetOut(TextWriter.Null);
        Console.SetError(err);
        int code;
        try { code = Program.Run(["convert", pth, Out("style-diffusers")]); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
        Assert.NotEqual(0, code);
        Assert.Contains("diffusers has no class for", err.ToString());
        Assert.Contains("--to ldm", err.ToString());
        Assert.Single(err.ToString().Trim().Split('\n'));
        Assert.False(Directory.Exists(Out("style-diffusers")));

        using (var checkpoint = CheckpointLoader.Open(pth))
            CheckpointConverter.Convert(checkpoint, Out("style16.safetensors"), KeyLayout.Ldm, TensorDType.F16);
        using var converted = CheckpointLoader.Open(Out("style16.safetensors"));
        var weights = converted[ModelComponent.StyleAdapter];
        Assert.Equal(style.state_dict().Keys.Order(), weights.Tensors.Select(t => t.Name).Order());
        Assert.All(weights.Tensors, t => Assert.Equal(TensorDType.F16, t.DType));
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}
