using System.Diagnostics;

namespace ControlNet.Benchmarks;

/// <summary>Wall-clock seconds of each measured run, with the statistics the report shows.</summary>
internal sealed record TimingStats(IReadOnlyList<double> Seconds, int Warmup)
{
    public double Median
    {
        get
        {
            var s = Seconds.Order().ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
        }
    }

    public double Min => Seconds.Min();
    public double Max => Seconds.Max();

    /// <summary>(max − min) / median: how much the machine disturbed the runs.</summary>
    public double RelativeSpread => Median > 0 ? (Max - Min) / Median : 0;
}

/// <summary>The harness: <c>warmup</c> untimed calls (allocator, oneDNN primitive caches), then <c>runs</c> timed calls.</summary>
internal static class Timing
{
    public static TimingStats Measure(Action run, int warmup, int runs, CancellationToken cancellationToken = default)
    {
        if (runs < 1) throw new ArgumentOutOfRangeException(nameof(runs), runs, "Need at least one timed run; use --runs 1 or more.");
        if (warmup < 0) throw new ArgumentOutOfRangeException(nameof(warmup), warmup, "Warm-up runs cannot be negative; use --warmup 0 or more.");
        for (var i = 0; i < warmup; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            run();
        }
        var seconds = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            run();
            seconds[i] = sw.Elapsed.TotalSeconds;
        }
        return new TimingStats(seconds, warmup);
    }
}
