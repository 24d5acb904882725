using ControlNet.Cli;
using ControlNet.Hosting;
using ControlNet.Pipelines;
using ControlNet.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;

namespace ControlNet.Tests.Hostile;

/// <summary>Command-line values of issue 20: each ends with one line on stderr and a documented exit code.</summary>
[Collection(nameof(ConsoleCollection))]
public class HostileCliTests
{
    static readonly string ToyModel = Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath);

    static void AssertOneLine(string err)
    {
        var lines = err.Trim().Split('\n');
        Assert.True(lines.Length == 1, "expected one line, got:\n" + err);
        Assert.StartsWith("error: ", lines[0]);
        Assert.DoesNotContain("   at ", err);
    }

    /// <summary>The real CLI (the toy model's real pipeline, not the fake one CliRunner installs), output captured.</summary>

    [Fact]
    public void Preprocess_openpose_on_a_photo_without_the_weights_names_the_file_and_the_fix()
    {
        using var cli = new CliRunner();
        var (code, _, err) = cli.Run("preprocess", "openpose", CliRunner.Photo, cli.PathOf("pose.png"), "--plugins", CliRunner.PluginFolder,
            "--annotator-path", cli.PathOf("no-weights"));
        Assert.Equal(ExitCodes.Failure, code);
        AssertOneLine(err);
        Assert.Contains("body_pose_model.pth", err);
        Assert.Contains("--annotator-path", err);
        Assert.False(File.Exists(cli.PathOf("pose.png")));
    }

    [Fact]
    public void Preprocess_with_a_huge_detect_resolution_is_refused_by_the_pixel_limit()
    {
        using var cli = new CliRunner();
        var (code, _, err) = cli.Run("preprocess", "canny", CliRunner.Photo, cli.PathOf("edges.png"), "--plugins", CliRunner.PluginFolder, "--detect-resolution", "100000");
        Assert.Equal(ExitCodes.LimitExceeded, code);
        AssertOneLine(err);
        Assert.Contains("above the limit", err);
    }

    [Theory]
    [InlineData("--width", "2147483640")]
    [InlineData("--height", "2147483640")]
    [InlineData("--width", "100000", "--height", "100000")]
    public void Generate_with_a_size_beyond_the_pixel_limit_is_refused_before_sampling(params string[] size)
    {
        using var cli = new CliRunner();
        var (code, err) = CliRunner.RunReal(["generate", "--plugins", CliRunner.PluginFolder, "--model", ToyModel, "--prompt", "x", "--steps", "1", "--quiet",
            "--out", cli.PathOf("x.png"), .. size]);
        Assert.True(code == ExitCodes.LimitExceeded, err);
        AssertOneLine(err);
        Assert.Contains("The output size", err);
    }

    [Fact]
    public void Generate_with_a_huge_batch_is_refused_by_the_memory_estimate()
    {
        using var cli = new CliRunner();
        var (code, err) = CliRunner.RunReal("generate", "--plugins", CliRunner.PluginFolder, "--model", ToyModel, "--prompt", "x", "--steps", "1", "--quiet",
            "--out", cli.PathOf("x.png"), "--batch", "100000");
        Assert.Equal(ExitCodes.LimitExceeded, code);
        AssertOneLine(err);
        Assert.Contains("needs about", err);
        Assert.Contains("is available", err);
    }

    [Fact]
    public void The_estimate_names_both_figures_and_passes_ordinary_sizes()
    {
        var sd = ControlNet.Models.Sd15UNet.Architecture;
        WorkingSetEstimate.Check(sd, 8, 512, 512, 1, 1, availableBytes: 4L << 30);
        var e = Assert.Throws<Abstractions.LimitExceededException>(() => WorkingSetEstimate.Check(sd, 8, 2048, 2048, 16, 1, availableBytes: 8L << 30));
        Assert.Contains("8.0 GiB is available", e.Message);
    }

    [Fact]
    public void Generate_into_an_unwritable_folder_names_the_path()
    {
        var (code, err) = CliRunner.RunReal("generate", "--plugins", CliRunner.PluginFolder, "--model", ToyModel, "--prompt", "x", "--steps", "1", "--quiet",
            "--out", "/sys/x.png");
        Assert.Equal(ExitCodes.Failure, code);
        AssertOneLine(err);
        Assert.Contains("'/sys/x.png'", err);
    }

    [Fact]
    public void A_plugin_that_throws_in_a_getter_or_a_preprocessor_is_named_by_the_cli_and_the_others_work()
    {
        using var cli = new CliRunner();
        var plugins = cli.PathOf("plugins");
        Plugins.PluginCompiler.Compile("Acme.Crash", Plugins.PluginCompiler.BrokenPluginSource("Acme.Crash", "crash", Plugins.PluginCompiler.RunBody,
            "string? nothing = null; var img = source.RequireImage(nothing!.Trim()).ToRgb8();"), Path.Combine(plugins, "Acme.Crash"));
        Plugins.PluginCompiler.Compile("Acme.BadId", Plugins.PluginCompiler.BrokenPluginSource("Acme.BadId", "badid", "Id",
            "public override string Id => throw new InvalidOperationException(\"id boom\");"), Path.Combine(plugins, "Acme.BadId"));

        // The preprocessor's NullReferenceException is one line naming it and its assembly; nothing is written.
        var (code, err) = CliRunner.RunReal("preprocess", "crash", CliRunner.Photo, cli.PathOf("map.png"), "--plugins", plugins);
        Assert.Equal(ExitCodes.Failure, code);
        AssertOneLine(err);
        Assert.Contains("Preprocessor 'crash' (Acme.Crash) failed", err);
        Assert.Contains("NullReferenceException", err);
        Assert.False(File.Exists(cli.PathOf("map.png")));

        // The plug-in whose Id throws is reported by name while a built-in preprocessor still runs.
        (code, err) = CliRunner.RunReal("preprocess", "canny", CliRunner.Photo, cli.PathOf("canny.png"), "--plugins", CliRunner.PluginFolder, "--plugins", plugins);
        Assert.True(code == ExitCodes.Success, err);
        Assert.True(File.Exists(cli.PathOf("canny.png")));
        var (listCode, listOut, listErr) = cli.Run("plugins", "list", "--plugins", plugins);
        Assert.True(listCode == ExitCodes.Success, listErr);
        Assert.Contains("Acme.BadId", listOut + listErr);
        Assert.Contains("id boom", listOut + listErr);
    }

    [Fact]
    public void An_unexpected_exception_prints_one_line_and_the_verbose_hint_and_verbose_prints_the_trace()
    {
        Action<IServiceCollection> throwing = s => s.AddSingleton<IControlNetPipelineFactory>(new ThrowingFactory());
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        try
        {
            Console.SetOut(TextWriter.Null);
            var err = new StringWriter();
            Console.SetError(err);
            var code = ControlNet.Cli.Program.Run(["generate", "--quiet", "--plugins", CliRunner.PluginFolder, "--prompt", "x", "--out", Path.Combine(Path.GetTempPath(), "never.png")], throwing);
            Assert.Equal(ExitCodes.Internal, code);
            var lines = err.ToString().Trim().Split('\n');
            Assert.True(lines.Length == 2, err.ToString());
            Assert.StartsWith("error: unexpected NullReferenceException: boom", lines[0]);
            Assert.Contains("--verbose", lines[1]);

            var verbose = new StringWriter();
            Console.SetError(verbose);
            ControlNet.Cli.Program.Run(["generate", "--verbose", "--plugins", CliRunner.PluginFolder, "--prompt", "x", "--out", Path.Combine(Path.GetTempPath(), "never.png")], throwing);
            Assert.Contains("   at ", verbose.ToString());
        }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    sealed class ThrowingFactory : IControlNetPipelineFactory
    {
        public IControlNetPipeline Create(PipelineOptions options) => throw new NullReferenceException("boom");
    }
}
