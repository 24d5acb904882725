using System.Text.Json;
using ControlNet.Checkpoints;
using ControlNet.Hosting;
using ControlNet.Hosting.Imaging;
using ControlNet.Models.Adapters;
using ControlNet.Tests.Pipelines;
using ControlNet.Vision;
using TorchSharp;

namespace ControlNet.Tests.Cli;

/// <summary>
/// generate --control style:IMAGE:adapter=FILE --clip-vision DIR on the toy model, end to end through the CLI, the
/// built-in style plug-in and the host: random toy-sized weights in TencentARC's and transformers' layouts.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class GenerateWithStyleAdapterTests
{
    static readonly string ToyModel = Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath);


    static void AssertOneLineError((int Code, string Err) run, string expected)
    {
        Assert.NotEqual(0, run.Code);
        Assert.Contains(expected, run.Err);
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", run.Err);
    }

    [Fact]
    public void A_style_adapter_steers_the_toy_model_and_wrong_files_are_one_line_errors()
    {
        var folder = Directory.CreateTempSubdirectory("controlnet-style-cli-").FullName;
        try
        {
            string Out(string name) => Path.Combine(folder, name);
            using (var style = new StyleAdapter(new StyleAdapterConfig(64, 64, StyleAdapterConfig.TencentArcHeads, 1, 4)))
            {
                TinyModels.Randomize(style, 81);
                TorchZipWriter.Write(Out("t2iadapter_style_toy.pth"), style.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(kv.Key, kv.Value)).ToList());
            }
            var clip = Directory.CreateDirectory(Out("clip-vision")).FullName;
            using (var vision = new ClipVisionEncoder(new ClipVisionConfig(64, 1, 4, 128, 28, 14)))
            {
                TinyModels.Randomize(vision, 82);
                SafetensorsWriter.Write(Path.Combine(clip, "model.safetensors"), vision.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(kv.Key, kv.Value)).ToList());
            }
            File.WriteAllText(Path.Combine(clip, "config.json"), JsonSerializer.Serialize(new { architectures = new[] { "CLIPVisionModel" }, num_attention_heads = 4 }));
            using (var cn = TinyModels.ControlNet(83)) TinyModels.Save(Out("control_toy.safetensors"), cn);

            string[] Args(string output, params string[] extra) =>
                ["generate", "--plugins", CliRunner.PluginFolder, "--model", ToyModel, "--prompt", "red square", "--steps", "3", "--seed", "5", "--quiet", "--out", Out(output), .. extra];
            string Style(string options = "") => $"style:{CliRunner.Photo}:adapter={Out("t2iadapter_style_toy.pth")}{options}";

            var run = CliRunner.RunReal(Args("plain.png"));
            Assert.True(run.Code == 0, run.Err);
            run = CliRunner.RunReal(Args("style.png", "--control", Style(), "--clip-vision", clip));
            Assert.True(run.Code == 0, run.Err);
            run = CliRunner.RunReal(Args("zero.png", "--control", Style(",scale=0"), "--clip-vision", clip));
            Assert.True(run.Code == 0, run.Err);
            var plain = ImageFile.LoadRgb(Out("plain.png")).Data;
            Assert.NotEqual(plain, ImageFile.LoadRgb(Out("style.png")).Data);
            Assert.Equal(plain, ImageFile.LoadRgb(Out("zero.png")).Data);

            AssertOneLineError(CliRunner.RunReal(Args("bad.png", "--control", Style())), "--clip-vision");
            AssertOneLineError(CliRunner.RunReal(Args("bad.png", "--control", Style(), "--clip-vision", Out("control_toy.safetensors"))), "no CLIP vision tower");
            AssertOneLineError(CliRunner.RunReal(Args("bad.png", "--control", $"canny:{CliRunner.Photo}:adapter={Out("control_toy.safetensors")}")),
                "control_toy.safetensors' is a ControlNet, not a T2I-Adapter; pass it as model=control_toy.safetensors");
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
