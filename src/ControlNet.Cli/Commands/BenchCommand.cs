using System.ComponentModel;
using System.Globalization;
using ControlNet.Benchmarks;
using ControlNet.Benchmarks.Annotators;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet bench [--json FILE] [--sizes 512,256] [--quick] [--only unet,controlnet,...]</c>: the performance
/// benchmark of docs/performance.md, backed by <see cref="BenchRunner"/>.
/// </summary>
public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--json [FILE]")]
        [Description("Also write the full report (every run's seconds, MACs, RSS, load average, targets) as JSON, to FILE or to bench.json.")]
        public FlagValue<string>? JsonFlag { get; init; }

        /// <summary>The JSON report's path: FILE, bench.json for a bare --json, null without --json.</summary>
        public string? Json => JsonFlag is { IsSet: true } f ? (string.IsNullOrWhiteSpace(f.Value) ? "bench.json" : f.Value) : null;

        [CommandOption("--markdown <FILE>")]
        [Description("Also write the tables as Markdown (as pasted into docs/performance.md).")]
        public string? Markdown { get; init; }

        [CommandOption("--sizes <SIZES>")]
        [Description("Image sides in pixels, comma-separated. Default 512,256 (256 with --quick).")]
        public string? Sizes { get; init; }

        [CommandOption("--quick")]
        [Description("Development run: 256 only, 2 timed runs.")]
        public bool Quick { get; init; }

        [CommandOption("--only <GROUPS>")]
        [Description("Comma-separated groups: conv, unet, controlnet, unet+cn, unet+2cn, eager, ablations, text, vae, load, train, weights16 (bf16 weight storage, fp32 compute), threads (1-thread step beside the N-thread rows), fewstep (opt-in: 20 steps Euler a vs LCM-LoRA 4/8 steps, whole images), annotators (opt-in: neural estimators beside the original code, see --reference-annotators), memory (opt-in: peak RSS of a whole generation loaded from files, fp32 and bf16 weights, memory policy keep and release), interleaved (opt-in: the U-Net + ControlNet step alternated run by run with libtorch's convolution everywhere and with explicit attention; the note gives the per-round ratio). Default: all but fewstep, annotators, memory and interleaved.")]
        public string? Only { get; init; }

        [CommandOption("--runs <N>")]
        [Description("Timed runs per row (median, min and max are reported). Default 3 (2 with --quick).")]
        public int? Runs { get; init; }

        [CommandOption("--warmup <N>")]
        [Description("Untimed runs first; the first also counts the MACs. Default 1.")]
        public int Warmup { get; init; } = 1;

        [CommandOption("--threads <N>")]
        [Description("torch.set_num_threads for the run. Default 2 (the issue's machine).")]
        public int Threads { get; init; } = 2;

        [CommandOption("--background-load <N>")]
        [Description("Run N busy threads beside the bench for the whole run (a loaded machine). Default 0.")]
        public int BackgroundLoad { get; init; }

        [CommandOption("--profile")]
        [Description("Also time one U-Net + ControlNet step per size module by module: self time per module class (Conv2d, GroupNorm32, ResBlock, CrossAttention, …) and time per block, in the table, the JSON (profiles) and the Markdown.")]
        public bool Profile { get; init; }

        [CommandOption("--arch <ARCH>")]
        [Description("sd15 (default; full size, random weights) or toy (seconds-long smoke run).")]
        public string Arch { get; init; } = "sd15";

        [CommandOption("--reference-annotators <DIR>")]
        [Description("With --only annotators: a folder holding ControlNet v1.1's annotator/ package; each estimator's original code is timed beside ours on the same random weights (never modified: a temp copy is used).")]
        public string? ReferenceAnnotators { get; init; }

        [CommandOption("--python <PATH>")]
        [Description("The Python with torch that runs the original annotator code. Default /usr/bin/python3 (Debian python3-torch).")]
        public string Python { get; init; } = "/usr/bin/python3";

        [CommandOption("--estimators <IDS>")]
        [Description("With --only annotators: comma-separated estimators to time (hed, pidinet, mlsd, openpose, openpose-full, depth, lineart, lineart-coarse, lineart-anime). Default: all.")]
        public string? Estimators { get; init; }

        [CommandOption("--annotator-size <N>")]
        [Description("Input side and detect resolution of the annotator rows. Default 512.")]
        public int AnnotatorSize { get; init; } = 512;

        [CommandOption("--memory-row <WEIGHTS:POLICY>", IsHidden = true)]
        [Description("Internal: the child process of one memory row.")]
        public string? MemoryRow { get; init; }

        [CommandOption("--temp-folder <DIR>", IsHidden = true)]
        [Description("Internal: where the memory group's model files are.")]
        public string? TempFolder { get; init; }

        internal BenchOptions ToOptions()
        {
            var baseline = Quick ? BenchOptions.Quick : new BenchOptions();
            var sizes = Sizes is null ? baseline.Sizes : ParseList(Sizes, "--sizes").Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v : throw new UserFacingException($"--sizes value '{s}' is not a whole number of pixels; use e.g. --sizes 512,256.", ExitCodes.Usage)).ToArray();
            var only = Only is null ? new HashSet<string>() : ParseList(Only, "--only").Select(s => s.ToLowerInvariant()).ToHashSet();
            return new BenchOptions
            {
                Sizes = sizes,
                Only = only,
                Runs = Runs ?? baseline.Runs,
                Warmup = Warmup,
                Threads = Threads,
                BackgroundLoad = BackgroundLoad,
                Profile = Profile,
                Architecture = Arch.ToLowerInvariant(),
                PartialJson = Json,     // rewritten after every row; the final report replaces it
                AnnotatorSize = AnnotatorSize,
                Estimators = Estimators is null ? new HashSet<string>() : ParseList(Estimators, "--estimators").Select(s => s.ToLowerInvariant()).ToHashSet(),
                ReferenceAnnotators = ReferenceAnnotators is null ? null : Path.GetFullPath(ReferenceAnnotators),
                Python = Python,
                MemoryRow = MemoryRow,
                TempFolder = TempFolder is null ? null : Path.GetFullPath(TempFolder),
                Preprocessors = only.Contains(BenchGroups.Annotators) ? FindPreprocessor : null,
            };
        }

        /// <summary>The preprocessor <c>controlnet preprocess</c> would run: the built-in plug-ins loaded from their folders.</summary>
        static ControlNet.Abstractions.IPreprocessor? FindPreprocessor(string id)
        {
            try { return Catalog.Value.FindPreprocessor(id).Preprocessor; }
            catch (KeyNotFoundException) { return null; }
        }

        static readonly Lazy<ControlNet.Hosting.Plugins.PluginCatalog> Catalog = new(() => ControlNet.Hosting.Plugins.PluginCatalog.CreateDefault([]));

        static string[] ParseList(string value, string option)
        {
            var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return parts.Length > 0 ? parts : throw new UserFacingException($"{option} needs at least one value.", ExitCodes.Usage);
        }

        public override ValidationResult Validate()
        {
            if (Arch.ToLowerInvariant() is not ("sd15" or "toy"))
                return ValidationResult.Error($"--arch '{Arch}' is not benchmarked; use sd15 or toy.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        BenchOptions options;
        try
        {
            options = settings.ToOptions().Validate();
        }
        catch (ArgumentException e)
        {
            throw new UserFacingException(e.Message, ExitCodes.Usage);
        }
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 180);   // keep table rows on one line in logs
        var report = BenchRunner.Run(options, new SynchronousProgress(line => AnsiConsole.MarkupLine("[grey]{0}[/]", Markup.Escape(line))), cancellationToken);
        BenchTable.Write(report);
        if (settings.Json is not null)
        {
            report.WriteJson(settings.Json);
            AnsiConsole.MarkupLine("wrote [bold]{0}[/]", Markup.Escape(settings.Json));
        }
        if (settings.Markdown is not null)
        {
            var full = Path.GetFullPath(settings.Markdown);
            var tmp = full + $".{Environment.ProcessId}.tmp";
            File.WriteAllText(tmp, BenchMarkdown.Render(report));
            File.Move(tmp, full, overwrite: true);
            AnsiConsole.MarkupLine("wrote [bold]{0}[/]", Markup.Escape(settings.Markdown));
        }
        return ExitCodes.Success;
    }

    /// <summary>Progress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool and reorders lines).</summary>
    sealed class SynchronousProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }
}

/// <summary>The Spectre.Console rendering of a <see cref="BenchReport"/>.</summary>
internal static class BenchTable
{
    public static void Write(BenchReport r)
    {
        var c = CultureInfo.InvariantCulture;
        AnsiConsole.MarkupLine("[bold]controlnet bench[/] — {0} ({1}), {2} torch threads, {3}, background load {4}, load average {5} → {6}",
            Markup.Escape(r.Machine.Cpu), Markup.Escape(r.Machine.CpuFlags), r.Machine.TorchThreads, Markup.Escape(r.Machine.Threading), r.Machine.BackgroundLoadThreads,
            string.Join(" ", r.LoadAverageStart.Select(v => v.ToString("0.00", c))), string.Join(" ", r.LoadAverageEnd.Select(v => v.ToString("0.00", c))));
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in new[] { "row", "size", "configuration", "threads", "median s", "min–max s", "GMAC", "GFLOP/s", "ref. conv", "efficiency", "load", "peak RSS GB" })
            table.AddColumn(h);
        foreach (var m in r.Measurements)
            table.AddRow(
                Markup.Escape(m.Name), m.Size?.ToString(c) ?? "", Markup.Escape(m.Configuration), m.Threads?.ToString(c) ?? "",
                m.Time.Median.ToString("0.000", c), $"{m.Time.Min.ToString("0.000", c)}–{m.Time.Max.ToString("0.000", c)}",
                m.GigaMacs?.ToString("0.0", c) ?? "", m.GflopPerSecond?.ToString("0.0", c) ?? "", m.ReferenceGflopPerSecond?.ToString("0.0", c) ?? "",
                m.Efficiency?.ToString("P0", c) ?? "", m.LoadAverage?.ToString("0.00", c) ?? "", (m.PeakRssBytes / 1e9).ToString("0.00", c));
        AnsiConsole.Write(table);

        if (r.MacChecks.Count > 0)
        {
            var macs = new Table().Border(TableBorder.Rounded).AddColumns("MAC walker (batch 1, 512)", "counted GMAC", "REFERENCE §10", "match");
            foreach (var m in r.MacChecks)
                macs.AddRow(Markup.Escape(m.Network), m.CountedGigaMacs.ToString("0.0", c), m.ReferenceGigaMacs.ToString("0.0", c), m.Matches ? "yes" : "[red]no[/]");
            AnsiConsole.Write(macs);
        }

        var baselines = new Table().Border(TableBorder.Rounded).AddColumns("reported baseline (not measured here)", "figure");
        foreach (var b in r.Baselines) baselines.AddRow(Markup.Escape(b.Name), Markup.Escape(b.Figure));
        AnsiConsole.Write(baselines);

        var targets = new Table().Border(TableBorder.Rounded).AddColumns("target", "goal", "measured", "met");
        foreach (var t in r.Targets)
            targets.AddRow(Markup.Escape(t.Name), Markup.Escape(t.Goal), Markup.Escape(t.Measured),
                t.Met switch { true => "[green]yes[/]", false => "[red]no[/]", null => "–" });
        AnsiConsole.Write(targets);
        if (r.Annotators is { Count: > 0 } ann)
        {
            var t = new Table().Border(TableBorder.Rounded).AddColumns(AnnotatorTable.Header.ToArray());
            foreach (var a in ann) t.AddRow(AnnotatorTable.Cells(a).Select(Markup.Escape).ToArray());
            AnsiConsole.Write(t);
        }
        foreach (var p in r.Profiles ?? [])
        {
            var t = new Table().Border(TableBorder.Rounded).AddColumns($"{p.Name} at {p.Size}: module class (self time)", "calls", "s", "share");
            foreach (var m in p.ByType) t.AddRow(Markup.Escape(m.Name), m.Calls.ToString(c), m.Seconds.ToString("0.000", c), (m.Seconds / p.StepSeconds).ToString("P1", c));
            t.AddRow("(outside every module)", "", p.UnhookedSeconds.ToString("0.000", c), (p.UnhookedSeconds / p.StepSeconds).ToString("P1", c));
            t.AddRow("[bold]step with hooks[/] (without)", "", $"{p.StepSeconds.ToString("0.000", c)} ({p.PlainStepSeconds.ToString("0.000", c)})", "");
            AnsiConsole.Write(t);
        }
        foreach (var n in r.Notes) AnsiConsole.MarkupLine("[yellow]note:[/] {0}", Markup.Escape(n));
    }
}
