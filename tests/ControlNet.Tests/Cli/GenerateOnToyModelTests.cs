using ControlNet.Cli;
using ControlNet.Hosting;
using ControlNet.Hosting.Imaging;
using ControlNet.Hosting.Runs;

namespace ControlNet.Tests.Cli;

/// <summary>
/// generate end to end with the REAL pipeline on the shipped toy model (models/toy, copied next to the CLI and into
/// this test's output): the README's main job, metadata that reproduces the image with --from, and the seed rule.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class GenerateOnToyModelTests
{
    static readonly string ToyModel = Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath);
    static byte[] Pixels(string png) => ImageFile.LoadRgb(png).Data!;


    [Fact]
    public void Toy_model_generates_with_canny_and_the_png_reproduces_itself()
    {
        Assert.True(File.Exists(Path.Combine(ToyModel, "controlnet-model.json")), "the toy model is missing from " + ToyModel);
        var folder = Directory.CreateTempSubdirectory("controlnet-toy-cli-").FullName;
        try
        {
            string Out(string name) => Path.Combine(folder, name);
            var (code, err) = CliRunner.RunReal("generate", "--plugins", CliRunner.PluginFolder, "--model", ToyModel, "--prompt", "red square on blue background",
                "--control", $"canny:{CliRunner.Photo}:detect-resolution=64", "--steps", "6", "--seed", "5", "--quiet", "--out", Out("a.png"));
            Assert.True(code == 0, err);
            var image = ImageFile.LoadRgb(Out("a.png"));
            Assert.Equal((32, 32), (image.Width, image.Height));              // the manifest's image_size
            Assert.Contains("Model: toy", PngMetadata.Read(Out("a.png"))[RunMetadata.ParametersKey]);

            (code, err) = CliRunner.RunReal("generate", "--plugins", CliRunner.PluginFolder, "--from", Out("a.png"), "--quiet", "--out", Out("b.png"));
            Assert.True(code == 0, err);
            Assert.Equal(Pixels(Out("a.png")), Pixels(Out("b.png")));           // same seed, same bytes

            (code, err) = CliRunner.RunReal("generate", "--plugins", CliRunner.PluginFolder, "--from", Out("a.png"), "--seed", "6", "--quiet", "--out", Out("c.png"));
            Assert.True(code == 0, err);
            Assert.NotEqual(Pixels(Out("a.png")), Pixels(Out("c.png")));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
