using System.Diagnostics;
using ControlNet.Cli;

namespace ControlNet.Tests.Fuzz;

/// <summary>One kind of input: seeds (valid files of the real format) and the code that reads one input as the CLI would.</summary>
sealed record FuzzTarget(string Name, IReadOnlyList<byte[]> Seeds, bool Text, Action<byte[]> Run, int Inputs)
{
    /// <summary>A mutation of its own (e.g. <see cref="JsonMutator"/>) instead of <see cref="Mutator.Mutate"/>.</summary>
    public Func<Mutator, byte[], byte[]>? Mutation { get; init; }
}

/// <summary>Thrown by a target for an input that is valid but would run for long (a 1000-step generation): not run.</summary>
sealed class FuzzSkip() : Exception("valid but slow");

/// <summary>Counts of one target's run.</summary>
sealed record FuzzCounts(string Target, int Inputs, int Accepted, int Refusals, int Crashes, int Hangs, int MemoryBlowUps, IReadOnlyList<string> Findings)
{
    /// <summary>Inputs valid but too slow to run within the CI budget (counted in Accepted: their validation passed).</summary>
    public int Skipped { get; init; }

    public override string ToString() =>
        $"{Target,-22} inputs {Inputs,7:N0}  accepted {Accepted,7:N0} (skipped as slow {Skipped,5:N0})  refusals {Refusals,7:N0}  crashes {Crashes}  hangs {Hangs}  memory blow-ups {MemoryBlowUps}";
}

/// <summary>
/// Runs mutated inputs in-process, each on its own task with a timeout and a memory check:
/// a refusal is an exception the CLI reports as an expected failure (<see cref="ErrorReport"/>, exit 1–3); a crash is one
/// it reports as unexpected (exit 70); a hang is an input still running after the timeout; a memory blow-up is an input
/// that allocated more managed memory, or grew the process's peak resident set by more, than the bound.
/// A stack overflow would end the test host itself, which fails the run as loudly.
/// </summary>
static class FuzzRunner
{
    public static FuzzCounts Run(FuzzTarget target, int seed, TimeSpan timeout, long memoryBound)
    {
        var mutator = new Mutator(seed);
        int accepted = 0, refusals = 0, crashes = 0, hangs = 0, blowUps = 0, skipped = 0;
        var findings = new List<string>();
        using var self = Process.GetCurrentProcess();
        for (var i = 0; i < target.Inputs; i++)
        {
            var seedInput = target.Seeds[mutator.Random.Next(target.Seeds.Count)];
            // One input in ten is a seed as is (must be accepted or refused cleanly too); the rest are mutations.
            var input = i % 10 == 0 ? seedInput : target.Mutation?.Invoke(mutator, seedInput) ?? mutator.Mutate(seedInput, target.Text);
            KeepCurrent(target, input);
            self.Refresh();
            var peakBefore = self.PeakWorkingSet64;
            long allocated = 0;
            Exception? error = null;
            var task = Task.Factory.StartNew(() =>
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                try { target.Run(input); }
                catch (Exception e) { error = e; }
                finally { allocated = GC.GetAllocatedBytesForCurrentThread() - before; }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if (!task.Wait(timeout))
            {
                hangs++;
                Keep(target, i, input);
                findings.Add($"{target.Name} #{i}: hang (> {timeout.TotalSeconds:N0} s) on {Describe(input)}");
                break; // the thread cannot be stopped; the run is failed anyway
            }
            self.Refresh();
            var grown = self.PeakWorkingSet64 - peakBefore;
            if (allocated > memoryBound || grown > memoryBound)
            {
                blowUps++;
                Keep(target, i, input);
                findings.Add($"{target.Name} #{i}: memory blow-up ({allocated / (1 << 20):N0} MiB managed, peak RSS +{grown / (1 << 20):N0} MiB) on {Describe(input)}");
                continue;
            }
            if (error is null) { accepted++; continue; }
            if (error is FuzzSkip) { skipped++; continue; }
            var (code, message) = ErrorReport.Describe(error);
            if (code == ExitCodes.Internal)
            {
                crashes++;
                Keep(target, i, input);
                if (findings.Count < 20) findings.Add($"{target.Name} #{i}: {message} on {Describe(input)}\n{error}");
            }
            else refusals++;
        }
        return new FuzzCounts(target.Name, accepted + refusals + crashes + hangs + blowUps + skipped, accepted + skipped, refusals, crashes, hangs, blowUps, findings) { Skipped = skipped };
    }

    /// <summary>Saves a finding's input to CONTROLNET_FUZZ_FINDINGS (when set) to reproduce it.</summary>
    static void Keep(FuzzTarget target, int index, byte[] input)
    {
        var dir = Environment.GetEnvironmentVariable("CONTROLNET_FUZZ_FINDINGS");
        if (string.IsNullOrEmpty(dir)) return;
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, $"{target.Name}-{index}.bin"), input);
    }

    /// <summary>
    /// Saves the input about to run as current-NAME.bin in CONTROLNET_FUZZ_FINDINGS (when set): a native crash in a
    /// decoder ends the test host before any finding is kept, and this file is then the input that did it.
    /// </summary>
    static void KeepCurrent(FuzzTarget target, byte[] input)
    {
        var dir = Environment.GetEnvironmentVariable("CONTROLNET_FUZZ_FINDINGS");
        if (string.IsNullOrEmpty(dir)) return;
        Directory.CreateDirectory(dir);
        using var stream = new FileStream(Path.Combine(dir, $"current-{target.Name}.bin"), FileMode.Create, FileAccess.Write);
        stream.Write(input);
        stream.Flush(flushToDisk: true);
    }

    static string Describe(byte[] input)
    {
        var text = System.Text.Encoding.UTF8.GetString(input.AsSpan(0, Math.Min(input.Length, 400))).Replace('\n', '⏎');
        return $"{input.Length} bytes: {text}{(input.Length > 400 ? "…" : "")}";
    }
}
