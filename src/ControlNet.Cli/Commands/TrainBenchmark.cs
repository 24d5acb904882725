using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ControlNet.Benchmarks;
using ControlNet.Training;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet train --benchmark</c>: each (architecture, mode) runs in a child process (<c>--benchmark-mode ARCH:MODE</c>) so
/// peak memory is not inherited from the previous one; prints the table docs/training.md shows. With
/// <c>--gradient-checkpointing</c> a third row per architecture measures the ControlNet step with every block checkpointed.
/// A bench command can call <see cref="TrainingBenchmark.Measure"/> directly.
/// </summary>
public static class TrainBenchmark
{
    /// <summary>What every configuration shares: timed steps, latent side, batch size, libtorch threads.</summary>
    public sealed record Shape(int Steps, int LatentSize, int BatchSize, int? Threads);

    public static int RunOne(string spec, Shape shape, bool gradientCheckpointing)
    {
        var parts = spec.Split(':');
        if (parts.Length != 2) throw new UserFacingException($"--benchmark-mode '{spec}' must be ARCH:MODE, e.g. toy:controlnet.", ExitCodes.Usage);
        StepMeasurement m;
        try { m = TrainingBenchmark.Measure(parts[0], parts[1], shape.Steps, shape.LatentSize, shape.BatchSize, gradientCheckpointing); }
        catch (ArgumentOutOfRangeException e) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
        Console.WriteLine(JsonSerializer.Serialize(m));
        return ExitCodes.Success;
    }

    public static int RunAll(IReadOnlyList<string> architectures, Shape shape, bool gradientCheckpointing, bool bf16 = false)
    {
        var runs = new List<(string Mode, bool Checkpointing)> { (TrainingBenchmark.FineTuneMode, false), (TrainingBenchmark.ControlNetMode, false) };
        if (gradientCheckpointing) runs.Add((TrainingBenchmark.ControlNetMode, true));
        if (bf16) runs.Add((TrainingBenchmark.ControlNetBf16Mode, false));
        var results = new List<StepMeasurement>();
        Console.WriteLine($"latent {shape.LatentSize}×{shape.LatentSize}, batch {shape.BatchSize}, {shape.Steps} timed step(s), threads {shape.Threads?.ToString(CultureInfo.InvariantCulture) ?? "all"}");
        foreach (var arch in architectures)
            foreach (var (mode, checkpointing) in runs)
            {
                var m = Child(arch, mode, checkpointing, shape);
                results.Add(m);
                Console.WriteLine($"{arch} {mode}{(checkpointing ? " + checkpointing" : "")}: {m.SecondsPerStep:F3} s/step, peak RSS {Mib(m.PeakResidentBytes)} MiB, {m.TrainableParameters:N0} trainable of {m.TotalParameters:N0}");
            }
        var controlNet = (TrainingBenchmark.ControlNetMode, false);
        Compare(architectures, results, (TrainingBenchmark.FineTuneMode, false), "fine-tune", controlNet, "ControlNet", "overhead");
        if (bf16) Compare(architectures, results, controlNet, "ControlNet", (TrainingBenchmark.ControlNetBf16Mode, false), "bf16 base", "");
        if (gradientCheckpointing) Compare(architectures, results, controlNet, "ControlNet", (TrainingBenchmark.ControlNetMode, true), "checkpointed", "");
        return ExitCodes.Success;
    }

    /// <summary>One Markdown table per pair of configurations: time and peak RSS of each, and the second relative to the first.</summary>
    static void Compare(IReadOnlyList<string> architectures, List<StepMeasurement> results,
        (string Mode, bool Checkpointing) first, string firstName, (string Mode, bool Checkpointing) second, string secondName, string change)
    {
        var suffix = change.Length == 0 ? "" : " " + change;
        Console.WriteLine();
        Console.WriteLine($"| architecture | {firstName} s/step | {secondName} s/step | time{suffix} | {firstName} peak RSS | {secondName} peak RSS | memory{suffix} |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var arch in architectures)
        {
            var a = Find(results, arch, first.Mode, first.Checkpointing);
            var b = Find(results, arch, second.Mode, second.Checkpointing);
            Console.WriteLine($"| {arch} | {a.SecondsPerStep:F3} | {b.SecondsPerStep:F3} | {Percent(b.SecondsPerStep / a.SecondsPerStep)} | {Mib(a.PeakResidentBytes)} MiB | {Mib(b.PeakResidentBytes)} MiB | {Percent((double)b.PeakResidentBytes / a.PeakResidentBytes)} |");
        }
    }

    static StepMeasurement Find(List<StepMeasurement> results, string arch, string mode, bool checkpointing) =>
        results.First(r => r.Architecture == arch && r.Mode == mode && r.GradientCheckpointing == checkpointing);

    static string Mib(long bytes) => (bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture);

    static string Percent(double ratio) => (100 * (ratio - 1)).ToString("+0;-0", CultureInfo.InvariantCulture) + "%";

    static StepMeasurement Child(string arch, string mode, bool checkpointing, Shape shape)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(TrainBenchmark).Assembly.Location);
        var args = new List<string>
        {
            "train", "--benchmark-mode", $"{arch}:{mode}", "--benchmark-steps", Invariant(shape.Steps),
            "--benchmark-latent-size", Invariant(shape.LatentSize), "--benchmark-batch-size", Invariant(shape.BatchSize),
        };
        if (shape.Threads is { } t) args.AddRange(["--threads", Invariant(t)]);
        if (checkpointing) args.Add("--gradient-checkpointing");
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new UserFacingException($"The {arch} {mode} benchmark failed (exit {process.ExitCode}); run 'controlnet {string.Join(' ', args)}' to see why (SD 1.5 fine-tuning needs about 16 GB of RAM).");
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        return JsonSerializer.Deserialize<StepMeasurement>(line)!;
    }

    static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
