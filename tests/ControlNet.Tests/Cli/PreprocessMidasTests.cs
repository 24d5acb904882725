using ControlNet.Conditions.Depth;
using ControlNet.Hosting.Imaging;
using ControlNet.Runtime;
using static TorchSharp.torch;

namespace ControlNet.Tests.Cli;

/// <summary>
/// <c>controlnet preprocess depth|normal PHOTO OUT --annotator-path DIR</c> and <c>generate --control depth:PHOTO</c> with the
/// built-in Depth plug-in loaded from its folder and a dpt_hybrid-midas-501f0c75.pt in the public layout (random weights).
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class PreprocessMidasTests
{
    [Fact]
    public void Depth_and_normal_run_MiDaS_on_a_photo_and_generate_runs_it_first()
    {
        using var cli = new CliRunner();
        var annotators = Directory.CreateDirectory(cli.PathOf("annotators")).FullName;
        string[] Preprocess(string type, string output) =>
            ["preprocess", type, CliRunner.Photo, output, "--plugins", CliRunner.PluginFolder, "--annotator-path", annotators, "--detect-resolution", "64"];

        var missing = cli.Run(Preprocess("depth", cli.PathOf("none.png")));
        Assert.NotEqual(0, missing.Code);
        Assert.StartsWith("error: Annotator weights dpt_hybrid-midas-501f0c75.pt (493.0 MB", missing.Err);
        Assert.Single(missing.Err.Trim().Split('\n'));
        string[] GenerateArgs(string output) => ["--model", "test/base-model", "--width", "64", "--height", "64", "--steps", "2", "--quiet", "--seed", "1",
            "--control", $"depth:{CliRunner.Photo}:detect-resolution=64", "--annotator-path", annotators, "--out", output];
        var notGenerated = cli.Generate(GenerateArgs(cli.PathOf("none-generated.png")));
        Assert.NotEqual(0, notGenerated.Code);
        Assert.Contains("dpt_hybrid-midas-501f0c75.pt (493.0 MB", notGenerated.Err);

        TorchRuntime.EnsureInitialized();
        manual_seed(11);
        using (var net = new MidasDptHybrid())
        {
            using (no_grad()) net.state_dict()["scratch.output_conv.4.bias"].fill_(0.5);   // a varied depth from random weights
            Conditions.AnnotatorWeights.Save(net, Path.Combine(annotators, MidasDepthEstimator.Weights.Name));
        }

        var depthPath = cli.PathOf("depth.png");
        var depth = cli.Run(Preprocess("depth", depthPath));
        Assert.True(depth.Code == 0, depth.Err);
        var depthMap = ImageFile.LoadRgb(depthPath);
        Assert.Equal((64, 64), (depthMap.Width, depthMap.Height));
        Assert.Equal((byte)0, depthMap.Data!.Min());
        Assert.Equal((byte)255, depthMap.Data!.Max());

        var normalPath = cli.PathOf("normal.png");
        var normal = cli.Run(Preprocess("normal", normalPath));
        Assert.True(normal.Code == 0, normal.Err);
        var normalMap = ImageFile.LoadRgb(normalPath);
        Assert.Equal((64, 64), (normalMap.Width, normalMap.Height));
        Assert.NotEqual(depthMap.Data, normalMap.Data);

        var output = cli.PathOf("out.png");
        var generated = cli.Generate(GenerateArgs(output));
        Assert.True(generated.Code == 0, generated.Err);
        Assert.True(File.Exists(output));
    }
}
