using System.Diagnostics;
using System.Text.Json;
using ControlNet.Training;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet train --benchmark</c>: each (architecture, mode) runs in a child process (<c>--benchmark-mode ARCH:MODE</c>) so
/// peak memory is not inherited from the previous one; prints the table docs/training.md shows. A bench command can call
/// <see cref="TrainingBenchmark.Measure"/> directly.
/// </summary>
public static class TrainBenchmark
{
    public static int RunOne(string spec, int steps)
    {
        var parts = spec.Split(':');
        if (parts.Length != 2) throw new UserFacingException($"--benchmark-mode '{spec}' must be ARCH:MODE, e.g. toy:controlnet.", ExitCodes.Usage);
        var m = TrainingBenchmark.Measure(parts[0], parts[1], steps);
        Console.WriteLine(JsonSerializer.Serialize(m));
        return ExitCodes.Success;
    }

    public static int RunAll(IReadOnlyList<string> architectures, int steps, int? threads)
    {
        var results = new List<StepMeasurement>();
        foreach (var arch in architectures)
            foreach (var mode in new[] { TrainingBenchmark.FineTuneMode, TrainingBenchmark.ControlNetMode })
            {
                var m = Child(arch, mode, steps, threads);
                results.Add(m);
                Console.WriteLine($"{arch} {mode}: {m.SecondsPerStep:F3} s/step, peak RSS {m.PeakResidentBytes / 1048576.0:F0} MiB, {m.TrainableParameters:N0} trainable of {m.TotalParameters:N0}");
            }
        Console.WriteLine();
        Console.WriteLine("| architecture | fine-tune s/step | ControlNet s/step | time overhead | fine-tune peak RSS | ControlNet peak RSS | memory overhead |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var arch in architectures)
        {
            var f = results.First(r => r.Architecture == arch && r.Mode == TrainingBenchmark.FineTuneMode);
            var c = results.First(r => r.Architecture == arch && r.Mode == TrainingBenchmark.ControlNetMode);
            Console.WriteLine($"| {arch} | {f.SecondsPerStep:F3} | {c.SecondsPerStep:F3} | {100 * (c.SecondsPerStep / f.SecondsPerStep - 1):+0;-0}% | {f.PeakResidentBytes / 1048576.0:F0} MiB | {c.PeakResidentBytes / 1048576.0:F0} MiB | {100 * ((double)c.PeakResidentBytes / f.PeakResidentBytes - 1):+0;-0}% |");
        }
        return ExitCodes.Success;
    }

    static StepMeasurement Child(string arch, string mode, int steps, int? threads)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(TrainBenchmark).Assembly.Location);
        foreach (var a in new[] { "train", "--benchmark-mode", $"{arch}:{mode}", "--benchmark-steps", steps.ToString() }) start.ArgumentList.Add(a);
        if (threads is { } t) { start.ArgumentList.Add("--threads"); start.ArgumentList.Add(t.ToString()); }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new UserFacingException($"The {arch} {mode} benchmark failed (exit {process.ExitCode}); run 'controlnet train --benchmark-mode {arch}:{mode}' to see why (SD 1.5 fine-tuning needs about 16 GB of RAM).");
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        return JsonSerializer.Deserialize<StepMeasurement>(line)!;
    }
}
