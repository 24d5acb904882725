using System.Text.Json;
using ControlNet.Cli;
using ControlNet.Hosting;
using ControlNet.Hosting.Imaging;
using ControlNet.Hosting.Runs;
using ControlNet.Pipelines;

namespace ControlNet.Tests.Cli;

/// <summary>
/// generate end to end on the fake pipeline (Hosting/FakePipeline.cs): option parsing, plug-in preprocessing, the DI
/// host, output PNGs and their metadata, --from, --config and --json. The model itself is tested in the pipeline's tests.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class GenerateCommandTests
{
    static string[] Small(params string[] more) =>
        ["--model", "test/base-model", "--width", "64", "--height", "64", "--steps", "3", "--quiet", .. more];

    static byte[] Pixels(string png) => ImageFile.LoadRgb(png).Data!;

    [Fact]
    public void Writes_a_png_whose_metadata_reproduces_it_with_from()
    {
        using var cli = new CliRunner();
        var first = cli.PathOf("first.png");
        var (code, _, err) = cli.Generate(Small("--prompt", "a cat", "--negative", "blurry", "--seed", "42", "--cfg", "7.5", "--sampler", "euler",
            "--control", $"canny:{CliRunner.Photo}:low=50,detect-resolution=64,strength=0.7,end=0.8",
            "--control", $"scribble:{CliRunner.Photo}:detect-resolution=64,mode=control", "--out", first));
        Assert.True(code == 0, err);

        var pipeline = Assert.Single(cli.Factory.Created);
        Assert.Equal(["canny", "scribble"], pipeline.ControlNets.Order());       // both ControlNets in one pipeline
        Assert.Equal("lllyasviel/control_v11p_sd15_canny", pipeline.Options.ControlNets["canny"]);   // default: the paired checkpoint
        var meta = PngMetadata.Read(first);
        Assert.Equal("42", meta[RunMetadata.SeedKey]);
        Assert.Contains("Steps: 3, Sampler: Euler, Schedule type: Automatic, CFG scale: 7.5, Seed: 42, Size: 64x64", meta[RunMetadata.ParametersKey]);
        var run = JsonDocument.Parse(meta[RunMetadata.RunKey]).RootElement;
        Assert.Equal("a cat", run.GetProperty("prompt").GetString());
        Assert.Equal("50", run.GetProperty("controls")[0].GetProperty("options").GetProperty("low").GetString());

        var again = cli.PathOf("again.png");
        (code, _, err) = cli.Generate("--from", first, "--out", again, "--quiet");
        Assert.True(code == 0, err);
        Assert.Equal(Pixels(first), Pixels(again));
        Assert.Equal(meta[RunMetadata.RunKey].Replace(first, again), PngMetadata.Read(again)[RunMetadata.RunKey]);

        // Options override the recorded run: a different seed gives a different image.
        var other = cli.PathOf("other.png");
        (code, _, err) = cli.Generate("--from", first, "--seed", "43", "--out", other, "--quiet");
        Assert.True(code == 0, err);
        Assert.NotEqual(Pixels(first), Pixels(other));
    }

    [Fact]
    public void An_a1111_png_is_repeated_with_its_controlnet_units_and_the_images_given_again()
    {
        using var cli = new CliRunner();
        var a1111 = cli.PathOf("a1111.png");
        ImageFile.SavePng(ImageFile.LoadRgb(CliRunner.Photo), a1111, new Dictionary<string, string>
        {
            [RunMetadata.ParametersKey] = "a cat\nSteps: 3, Sampler: Euler, Schedule type: Automatic, CFG scale: 7.5, Seed: 42, Size: 64x64, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, " +
                "ControlNet 0: \"Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 0.7, Resize Mode: Just Resize, Processor Res: 64, Threshold A: 50, Threshold B: 150, Guidance Start: 0, Guidance End: 0.8, Pixel Perfect: False, Control Mode: ControlNet is more important\", " +
                "ControlNet 1: \"Module: none, Model: control_v11p_sd15_scribble [0123abcd], Weight: 1, Resize Mode: Crop and Resize, Guidance Start: 0, Guidance End: 1, Control Mode: Balanced\"",
        });

        // The units' images are not in A1111's text: without them, a one-line usage error saying what to pass.
        var (code, _, err) = cli.Generate("--from", a1111, "--model", "test/base-model", "--quiet", "--out", cli.PathOf("x.png"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--control-image", err);
        Assert.DoesNotContain("   at ", err);

        var again = cli.PathOf("again.png");
        (code, _, err) = cli.Generate("--from", a1111, "--model", "test/base-model", "--control-image", CliRunner.Photo, "--control-image", CliRunner.Photo, "--quiet", "--out", again);
        Assert.True(code == 0, err);
        var pipeline = Assert.Single(cli.Factory.Created);
        Assert.Equal(["canny", "scribble"], pipeline.ControlNets.Order());
        var run = GenerationRun.FromJson(PngMetadata.Read(again)[RunMetadata.RunKey], "again.png");
        Assert.Equal(("a cat", 3, "euler", 7.5, 42L, 64), (run.Prompt, run.Steps, run.Sampler, run.Cfg, run.Seed, run.Width));
        var (canny, scribble) = (run.Controls[0], run.Controls[1]);
        Assert.Equal(("canny", "canny", 0.7, 0.8, ControlMode.ControlNetIsMoreImportant, ResizeMode.JustResize, CliRunner.Photo), (canny.Type, canny.Preprocessor, canny.Strength, canny.End, canny.Mode, canny.Resize, canny.Image));
        Assert.Equal(new Dictionary<string, string> { ["detect-resolution"] = "64", ["low"] = "50", ["high"] = "150" }, canny.Options);
        Assert.Equal(("scribble", "none", CliRunner.Photo), (scribble.Type, scribble.Preprocessor, scribble.Image));
        // The new PNG's infotext carries the same units in the extension's spelling.
        Assert.Contains("ControlNet 0: \"Module: canny, Model: control_v11p_sd15_canny, Weight: 0.7, Resize Mode: Just Resize, Processor Res: 64, Threshold A: 50, Threshold B: 150, Guidance Start: 0, Guidance End: 0.8, Control Mode: ControlNet is more important\"",
            PngMetadata.Read(again)[RunMetadata.ParametersKey]);
    }

    [Fact]
    public void Config_round_trips()
    {
        using var cli = new CliRunner();
        var (a, b, image) = (cli.PathOf("a.json"), cli.PathOf("b.json"), cli.PathOf("img.png"));
        var (code, _, err) = cli.Generate(Small("--prompt", "round trip", "--seed", "-1", "--batch", "2",
            "--control", $"canny:{CliRunner.Photo}:detect-resolution=64,resize=just-resize,guess=true", "--out", image, "--save-config", a));
        Assert.True(code == 0, err);
        var images = new[] { cli.PathOf("img-0.png"), cli.PathOf("img-1.png") };
        var pixels = images.Select(Pixels).ToArray();
        Assert.NotEqual(pixels[0], pixels[1]);

        var saved = JsonDocument.Parse(File.ReadAllText(a)).RootElement;
        Assert.True(saved.GetProperty("seed").GetInt64() >= 0);               // -1 became the seed actually used
        Assert.Equal(image, saved.GetProperty("out").GetString());

        (code, _, err) = cli.Generate("--config", a, "--save-config", b, "--quiet");
        Assert.True(code == 0, err);
        Assert.Equal(File.ReadAllText(a), File.ReadAllText(b));
        Assert.Equal(pixels, images.Select(Pixels).ToArray());                // the same run, the same images
        Assert.Equal("1", PngMetadata.Read(images[1])[RunMetadata.IndexKey]);
    }

    [Fact]
    public void A_model_folder_supplies_the_controlnet_for_a_type()
    {
        using var cli = new CliRunner();
        var folder = Directory.CreateDirectory(cli.PathOf("toy")).FullName;
        File.WriteAllText(Path.Combine(folder, "controlnet-model.json"),
            """{ "architecture": "toy", "image_size": 32, "guidance_scale": 3.0, "controlnets": { "canny": "controlnet-canny.safetensors" } }""");
        var output = cli.PathOf("t.png");
        var (code, _, err) = cli.Generate("--model", folder, "--steps", "2", "--quiet", "--control", $"canny:{CliRunner.Photo}:detect-resolution=64", "--out", output);
        Assert.True(code == 0, err);
        var options = Assert.Single(cli.Factory.Created).Options;
        Assert.Equal(folder, options.BaseModel);
        Assert.Equal(Path.Combine(folder, "controlnet-canny.safetensors"), options.ControlNets["canny"]);
        // The folder's size and guidance scale replace 512 and 9 when not given.
        Assert.Equal((32, 32), (ImageFile.LoadRgb(output).Width, ImageFile.LoadRgb(output).Height));
        var run = JsonDocument.Parse(PngMetadata.Read(output)[RunMetadata.RunKey]).RootElement;
        Assert.Equal(3.0, run.GetProperty("cfg").GetDouble());
    }

    [Fact]
    public void Json_result_on_stdout()
    {
        using var cli = new CliRunner();
        var output = cli.PathOf("j.png");
        var (code, stdout, err) = cli.Generate(Small("--json", "--seed", "5", "--out", output));
        Assert.True(code == 0, err);
        var doc = JsonDocument.Parse(stdout).RootElement;
        var image = doc.GetProperty("images")[0];
        Assert.Equal(output, image.GetProperty("path").GetString());
        Assert.Equal(5, image.GetProperty("seed").GetInt64());
        Assert.Equal(64, image.GetProperty("width").GetInt32());
        Assert.Equal("test/base-model", doc.GetProperty("run").GetProperty("model").GetString());
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void Progress_display_and_pre_none_work()
    {
        using var cli = new CliRunner();
        var map = Path.Combine(AppContext.BaseDirectory, "Conditions", "TestData", "astronaut-256.canny.png");
        var output = cli.PathOf("p.png");
        // No --quiet: the Spectre progress display renders on stderr; stdout lists the file.
        var (code, stdout, err) = cli.Generate("--model", "m", "--width", "64", "--height", "64", "--steps", "2",
            "--control", $"canny:{map}:pre=none", "--out", output);
        Assert.True(code == 0, err);
        Assert.Equal(output, stdout.Trim());
        Assert.Contains("sampling", err);
    }

    [Fact]
    public void Without_a_model_the_shipped_toy_model_is_used_or_its_absence_explained()
    {
        using var cli = new CliRunner();
        var (code, _, err) = cli.Generate("--width", "64", "--height", "64", "--steps", "1", "--quiet", "--out", cli.PathOf("t.png"));
        if (DefaultModel.IsInstalled)
        {
            Assert.True(code == 0, err);
            Assert.Equal(DefaultModel.Path, Assert.Single(cli.Factory.Created).Options.BaseModel);
        }
        else
        {
            Assert.Equal(1, code);
            Assert.Contains(DefaultModel.RelativePath, err);
            Assert.Contains("--model", err);
        }
    }
}
