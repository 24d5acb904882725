using System.Text;
using ControlNet.Hosting;
using ControlNet.Pipelines;
using ControlNet.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;

namespace ControlNet.Tests.Fuzz;

/// <summary>
/// Command-line values: seeds are argument lists (one argument per line) for generate on the toy model (real pipeline,
/// loaded once and kept), preprocess and inspect, with hostile values put in; mutation then changes their numbers and
/// bytes. An input crashes when the CLI exits with the "unexpected" code (70) or a code outside docs/cli.md.
/// </summary>
static class CliFuzzTarget
{
    static readonly string[] HostileValues =
    [
        "0", "-1", "2147483647", "2147483640", "100000", "1e9", "NaN", "", "abc", "/sys/x.png", "/nonexistent/x.png", "/dev/null",
        "💥", new string('a', 10_000), "-", "--", "../../../../etc/passwd", "canny:/dev/zero", "canny:", ":::", "x=y",
    ];

    public static FuzzTarget Create(string folder, double scale)
    {
        var toy = Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath);
        var photo = CliRunner.Photo;
        var plugins = CliRunner.PluginFolder;
        var outPng = Path.Combine(folder, "out.png");
        string[][] templates =
        [
            ["generate", "--plugins", plugins, "--model", toy, "--quiet", "--prompt", "a red square", "--steps", "1", "--width", "32", "--height", "32", "--batch", "1", "--seed", "3", "--cfg", "7", "--out", outPng],
            ["generate", "--plugins", plugins, "--model", toy, "--quiet", "--prompt", "a red square", "--steps", "1", "--control", $"canny:{photo}:detect-resolution=64", "--out", outPng],
            ["preprocess", "canny", photo, outPng, "--plugins", plugins, "--detect-resolution", "64", "--option", "low=100"],
            ["preprocess", "scribble", photo, outPng, "--plugins", plugins, "--detect-resolution", "64"],
            ["preprocess", "openpose", photo, outPng, "--plugins", plugins],
            ["inspect", Path.Combine(toy, "controlnet-canny.safetensors")],
        ];
        var seeds = new List<byte[]>();
        foreach (var t in templates)
        {
            seeds.Add(Encode(t));
            // Each value position (not the command name) takes each hostile value once.
            for (var i = 1; i < t.Length; i++)
                foreach (var v in HostileValues)
                {
                    if (t[i] == plugins || t[i] == toy) continue; // keep the harness's own folders valid
                    var copy = (string[])t.Clone();
                    copy[i] = v;
                    seeds.Add(Encode(copy));
                }
        }
        var factory = new CachingFactory();
        return new FuzzTarget("cli-values", seeds, true, input =>
        {
            // Relative outputs (generate's default out.png) land in the run's folder, not the test's working directory.
            var cwd = Environment.CurrentDirectory;
            Environment.CurrentDirectory = folder;
            try { Run(Encoding.UTF8.GetString(input).Split('\n'), factory); }
            finally { Environment.CurrentDirectory = cwd; }
        }, Math.Max(1, (int)(300 * scale)));
    }

    /// <summary>
    /// A generation the CLI would run to the end and that costs more than ~100 toy steps at 32×32 (more steps, a larger
    /// size or batch): valid, only slow. Sizes the limits refuse are run, because the refusal is what is tested.
    /// </summary>
    static bool IsSlowButValid(string[] args)
    {
        if (args.Length == 0 || args[0] != "generate") return false;
        // Options after "--" are not options: the generation runs with defaults.
        if (Array.IndexOf(args, "--") is var end and >= 0) args = args[..end];
        long Value(string option, long fallback)
        {
            var i = Array.IndexOf(args, option);
            return i >= 0 && i + 1 < args.Length && long.TryParse(args[i + 1], out var v) ? v : fallback;
        }
        long steps = Value("--steps", 50), width = Value("--width", 32), height = Value("--height", 32), batch = Value("--batch", 1);
        if (steps < 1 || width < 1 || height < 1 || batch < 1 || width > int.MaxValue || height > int.MaxValue || batch > int.MaxValue) return false;
        if (steps * (double)width * height * batch <= 4.0 * 32 * 32) return false;
        try { WorkingSetEstimate.Check(ControlNet.Models.ToyUNet.Architecture, 1, (int)width, (int)height, (int)batch, 1); }
        catch (ArgumentException) { return false; } // refused by a limit: fast, and the point of the input
        return steps <= GenerationSettings.MaxSteps;
    }

    static byte[] Encode(string[] args) => Encoding.UTF8.GetBytes(string.Join('\n', args));

    static void Run(string[] args, CachingFactory factory)
    {
        if (IsSlowButValid(args)) throw new FuzzSkip();
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var err = new StringWriter();
        Console.SetOut(TextWriter.Null);
        Console.SetError(err);
        int code;
        try { code = ControlNet.Cli.Program.Run(args, s => s.AddSingleton<IControlNetPipelineFactory>(factory)); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
        if (code is not (0 or 1 or 2 or 3 or 130))
            throw new CliCrash($"exit {code}: {err.ToString().Trim()} (args: {string.Join(' ', args.Select(a => a.Length > 60 ? a[..60] + "…" : a))})");
        if (code != 0) throw new InvalidDataException(err.ToString()); // a documented refusal, counted as one

    }

    /// <summary>Not mapped by ErrorReport, so FuzzRunner counts it as a crash.</summary>
    sealed class CliCrash(string message) : Exception(message);

    /// <summary>Loads each distinct pipeline once; the CLI's dispose of it is ignored so the next input reuses it.</summary>
    sealed class CachingFactory : IControlNetPipelineFactory
    {
        readonly Dictionary<string, IControlNetPipeline> _loaded = new();
        readonly ControlNetPipelineFactory _inner = new();

        public IControlNetPipeline Create(PipelineOptions options)
        {
            var key = System.Text.Json.JsonSerializer.Serialize(options);
            if (!_loaded.TryGetValue(key, out var p)) _loaded[key] = p = _inner.Create(options);
            return new Kept(p);
        }

        sealed class Kept(IControlNetPipeline inner) : IControlNetPipeline
        {
            public IReadOnlyCollection<string> ControlNets => inner.ControlNets;
            public GenerationResult Generate(GenerationSettings settings, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default) =>
                inner.Generate(settings, progress, cancellationToken);
            public void Dispose() { }
        }
    }
}
