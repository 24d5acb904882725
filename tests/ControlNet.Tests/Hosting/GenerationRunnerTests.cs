using ControlNet.Hosting;
using ControlNet.Hosting.Imaging;
using ControlNet.Hosting.Plugins;
using ControlNet.Hosting.Runs;
using ControlNet.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;

namespace ControlNet.Tests.Hosting;

/// <summary>
/// <see cref="GenerationRunner"/>, the library path behind <c>controlnet generate</c>, used directly as a library user
/// (or the app template, or a server) would: resolving, hosting, output files; on the fake pipeline, except the last
/// test, which compares the library's PNG with the CLI's on the real toy model.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class GenerationRunnerTests
{
    static PluginCatalog Plugins() => new PluginCatalog().AddFolder(CliRunner.PluginFolder);

    [Fact]
    public void Resolve_fills_folder_defaults_seed_and_control_model_and_is_idempotent()
    {
        var folder = Directory.CreateTempSubdirectory("controlnet-runner-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "controlnet-model.json"),
                """{ "architecture": "toy", "image_size": 32, "guidance_scale": 3.0, "controlnets": { "canny": "controlnet-canny.safetensors" } }""");
            var runner = new GenerationRunner(Plugins());
            var run = runner.Resolve(new GenerationRun
            {
                Model = folder, Seed = -1, Out = "o.png",
                Controls = [new RunControl { Type = "canny", Image = "photo.png" }, new RunControl { Type = "scribble", Image = "photo.png" }],
            }, baseFolder: folder);
            Assert.Equal((32, 32, 3.0), (run.Width, run.Height, run.Cfg));
            Assert.InRange(run.Seed, 0, uint.MaxValue);
            Assert.Equal(Path.Combine(folder, "o.png"), run.Out);
            Assert.Equal(Path.Combine(folder, "controlnet-canny.safetensors"), run.Controls[0].Model);   // the folder's own
            Assert.Equal("lllyasviel/control_v11p_sd15_scribble", run.Controls[1].Model);               // the plug-in's paired one
            Assert.Equal(run.ToJson(), runner.Resolve(run).ToJson());
        }
        finally { Directory.Delete(folder, true); }
    }

    [Theory]
    [InlineData("out.jpg", 1, ".png")]
    [InlineData("out.png", 0, "batch is 0")]
    public void Bad_runs_are_argument_errors_naming_the_field(string output, int batch, string expected)
    {
        var runner = new GenerationRunner(Plugins());
        var e = Assert.Throws<ArgumentException>(() => runner.Resolve(new GenerationRun { Model = "m", Out = output, Batch = batch }));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task A_run_writes_pngs_that_repeat_it_and_the_host_stays_loaded_for_the_same_models()
    {
        using var cli = new CliRunner();
        await using var runner = new GenerationRunner(Plugins(), s => s.AddSingleton<IControlNetPipelineFactory>(cli.Factory));
        var run = new GenerationRun
        {
            Model = "test/base-model", Prompt = "a cat", Width = 64, Height = 64, Steps = 3, Seed = 7, Batch = 2, Out = cli.PathOf("cat.png"),
            Controls = [new RunControl { Type = "canny", Image = CliRunner.Photo, Options = new Dictionary<string, string> { ["detect-resolution"] = "64" } }],
        };
        var stages = new List<RunStage>();
        var first = await runner.RunAsync(run, new Inline(p => stages.Add(p.Stage)));
        Assert.Equal([cli.PathOf("cat-0.png"), cli.PathOf("cat-1.png")], first.Files);
        Assert.Equal([RunStage.Loading, RunStage.Sampling], stages.Distinct().Take(2));
        Assert.Equal(RunStage.Writing, stages[^1]);
        Assert.Equal(3, stages.Count(s => s == RunStage.Sampling) - 1);   // one report per step after the stage starts

        var meta = PngMetadata.Read(first.Files[1]);
        Assert.Equal(("8", "1"), (meta[RunMetadata.SeedKey], meta[RunMetadata.IndexKey]));
        var repeated = GenerationRun.FromPng(first.Files[1]);
        Assert.Equal(first.Run.ToJson(), repeated.ToJson());

        var second = await runner.RunAsync(repeated with { Seed = 8, Batch = 1, Out = cli.PathOf("again.png") });
        Assert.Equal(ImageFile.LoadRgb(first.Files[1]).Data, ImageFile.LoadRgb(second.Files[0]).Data);   // seed + 1 reproduces item 1
        Assert.Single(cli.Factory.Created);                                                             // same models: loaded once

        await runner.RunAsync(run with { Controls = [run.Controls[0] with { Model = "other/canny" }], Batch = 1 });
        Assert.Equal(2, cli.Factory.Created.Count);                                                     // other models: a new host
    }

    [Fact]
    public async Task A_missing_control_image_is_a_file_error_and_nothing_runs()
    {
        using var cli = new CliRunner();
        await using var runner = new GenerationRunner(Plugins(), s => s.AddSingleton<IControlNetPipelineFactory>(cli.Factory));
        var run = new GenerationRun { Model = "m", Width = 64, Height = 64, Out = cli.PathOf("x.png"), Controls = [new RunControl { Type = "canny", Image = cli.PathOf("missing.png") }] };
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => runner.RunAsync(run));
        Assert.Contains("missing.png", e.Message);
        Assert.DoesNotContain(cli.Factory.Created, p => p.Calls > 0);
    }

    [Fact]
    public async Task The_library_and_the_cli_write_the_same_png_bytes_on_the_toy_model()
    {
        var toy = Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath);
        Assert.True(File.Exists(Path.Combine(toy, "controlnet-model.json")), "the toy model is missing from " + toy);
        using var cli = new CliRunner();
        var output = cli.PathOf("toy.png");
        // The CLI with the real pipeline (Program.Run without CliRunner's fake factory).
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var err = new StringWriter();
        Console.SetOut(TextWriter.Null);
        Console.SetError(err);
        int code;
        try
        {
            code = ControlNet.Cli.Program.Run(["generate", "--plugins", CliRunner.PluginFolder, "--model", toy, "--prompt", "red square on blue background",
                "--control", $"canny:{CliRunner.Photo}:detect-resolution=64", "--steps", "4", "--seed", "3", "--quiet", "--out", output]);
        }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
        Assert.True(code == 0, err.ToString());
        var fromCli = File.ReadAllBytes(output);
        File.Delete(output);

        await using var runner = new GenerationRunner(Plugins());
        var done = await runner.RunAsync(new GenerationRun
        {
            Model = toy, Prompt = "red square on blue background", Steps = 4, Seed = 3, Out = output,
            Controls = [new RunControl { Type = "canny", Image = CliRunner.Photo, Options = new Dictionary<string, string> { ["detect-resolution"] = "64" } }],
        });
        Assert.Equal(output, Assert.Single(done.Files));
        Assert.Equal(fromCli, File.ReadAllBytes(output));   // pixels and metadata: the same run, the same file
    }

    sealed class Inline(Action<RunProgress> report) : IProgress<RunProgress>
    {
        public void Report(RunProgress value) => report(value);
    }
}
