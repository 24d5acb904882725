using ControlNet.Checkpoints;
using ControlNet.Cli;
using ControlNet.Hosting;
using ControlNet.Hosting.Imaging;
using ControlNet.Models;
using ControlNet.Models.Adapters;
using TorchSharp;

namespace ControlNet.Tests.Cli;

/// <summary>
/// generate with a T2I-Adapter beside the toy model's Canny ControlNet, end to end through the CLI and the host's
/// GenerationRunner: the adapter file (TencentARC layout, random weights) is detected by its keys.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class GenerateWithAdapterTests
{
    static readonly string ToyModel = Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath);


    [Fact]
    public void An_adapter_file_steers_the_toy_model_beside_its_controlnet_and_a_wrong_file_is_a_one_line_error()
    {
        var folder = Directory.CreateTempSubdirectory("controlnet-adapter-cli-").FullName;
        try
        {
            string Out(string name) => Path.Combine(folder, name);
            torch.manual_seed(31);
            using (var adapter = new T2IAdapter(new T2IAdapterConfig(T2IAdapterType.Full, 3, [32, 64, 64], 2, DownscaleFactor: 1), ToyUNet.Architecture))
                TorchZipWriter.Write(Out("t2iadapter_toy.pth"), adapter.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(kv.Key, kv.Value)).ToList());
            string[] Args(string output, params string[] controls) =>
                ["generate", "--plugins", CliRunner.PluginFolder, "--model", ToyModel, "--prompt", "red square", "--steps", "3", "--seed", "5", "--quiet", "--out", Out(output),
                 .. controls.SelectMany(c => new[] { "--control", c })];
            var canny = $"canny:{CliRunner.Photo}:detect-resolution=64";

            var (code, err) = CliRunner.RunReal(Args("cn.png", canny));
            Assert.True(code == 0, err);
            (code, err) = CliRunner.RunReal(Args("both.png", canny, $"canny:{CliRunner.Photo}:detect-resolution=64,adapter={Out("t2iadapter_toy.pth")},scale=0.8,factor=0.5"));
            Assert.True(code == 0, err);
            Assert.NotEqual(ImageFile.LoadRgb(Out("cn.png")).Data, ImageFile.LoadRgb(Out("both.png")).Data);

            File.WriteAllText(Out("notes.pth"), "not a checkpoint");
            (code, err) = CliRunner.RunReal(Args("bad.png", $"canny:{CliRunner.Photo}:adapter={Out("notes.pth")}"));
            Assert.NotEqual(0, code);
            Assert.Contains("notes.pth", err);
            Assert.Single(err.Trim().Split('\n'));
            Assert.DoesNotContain("   at ", err);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
