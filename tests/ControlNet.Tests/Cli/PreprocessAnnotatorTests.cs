using ControlNet.Conditions.SoftEdge;
using ControlNet.Hosting.Imaging;
using ControlNet.Runtime;
using static TorchSharp.torch;

namespace ControlNet.Tests.Cli;

/// <summary><c>controlnet preprocess hed PHOTO OUT --annotator-path DIR</c> with the built-in plug-ins loaded from their folders.</summary>
[Collection(nameof(ConsoleCollection))]
public class PreprocessAnnotatorTests
{
    [Fact]
    public void Hed_runs_on_a_photo_with_the_weights_in_the_annotator_folder_and_names_a_missing_file()
    {
        using var cli = new CliRunner();
        var annotators = Directory.CreateDirectory(cli.PathOf("annotators")).FullName;
        var output = cli.PathOf("hed.png");

        var missing = cli.Run("preprocess", "hed", CliRunner.Photo, output, "--plugins", CliRunner.PluginFolder,
            "--annotator-path", annotators, "--detect-resolution", "128");
        Assert.NotEqual(0, missing.Code);
        Assert.StartsWith("error: Annotator weights ControlNetHED.pth (29.4 MB", missing.Err);
        Assert.Single(missing.Err.Trim().Split('\n'));
        Assert.False(File.Exists(output));

        TorchRuntime.EnsureInitialized();
        manual_seed(3);
        using (var net = new ControlNetHed()) Conditions.AnnotatorWeights.Save(net, Path.Combine(annotators, "ControlNetHED.pth"));
        var ok = cli.Run("preprocess", "hed", CliRunner.Photo, output, "--plugins", CliRunner.PluginFolder,
            "--annotator-path", annotators, "--detect-resolution", "128");
        Assert.True(ok.Code == 0, ok.Err);
        var map = ImageFile.LoadRgb(output);
        Assert.Equal((128, 128), (map.Width, map.Height));
    }

    [Fact]
    public void Generate_runs_the_estimator_first_when_a_control_uses_it()
    {
        using var cli = new CliRunner();
        var annotators = Directory.CreateDirectory(cli.PathOf("annotators")).FullName;
        string[] Args(string output) => ["--model", "test/base-model", "--width", "64", "--height", "64", "--steps", "2", "--quiet",
            "--seed", "1", "--control", $"softedge:{CliRunner.Photo}:detect-resolution=64", "--annotator-path", annotators, "--out", output];

        var missing = cli.Generate(Args(cli.PathOf("none.png")));
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("ControlNetHED.pth (29.4 MB", missing.Err);

        TorchRuntime.EnsureInitialized();
        var outputs = new List<byte[]>();
        foreach (var seed in new[] { 3, 4 })
        {
            manual_seed(seed);
            using (var net = new ControlNetHed()) Conditions.AnnotatorWeights.Save(net, Path.Combine(annotators, "ControlNetHED.pth"));
            var output = cli.PathOf($"hed-{seed}.png");
            var ok = cli.Generate(Args(output));
            Assert.True(ok.Code == 0, ok.Err);
            outputs.Add(ImageFile.LoadRgb(output).Data!);
        }
        // The fake pipeline's image hashes the condition map: other HED weights, another map, another image.
        Assert.NotEqual(outputs[0], outputs[1]);
    }
}
