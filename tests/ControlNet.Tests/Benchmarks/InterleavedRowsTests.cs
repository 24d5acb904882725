using ControlNet.Benchmarks;
using ControlNet.Runtime;

namespace ControlNet.Tests.Benchmarks;

/// <summary><c>bench --only interleaved</c> on the toy architecture: the row set and its statistics, never timings.</summary>
public class InterleavedRowsTests
{
    public InterleavedRowsTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Interleaved_rows_time_every_variant_in_each_round_and_report_the_ratio_to_the_optimised_step()
    {
        var report = BenchRunner.Run(new BenchOptions
        {
            Architecture = "toy",
            Sizes = new[] { 64 },
            Only = new HashSet<string> { BenchGroups.Interleaved },
            Runs = 3,
            Warmup = 1,
            ConvChannels = 16,
            ConvSide = 16,
        });
        var rows = report.Measurements.Where(m => m.Group == BenchGroups.Interleaved).ToArray();
        Assert.Equal(new[] { "interleaved.optimised.64", "interleaved.direct-conv.64", "interleaved.explicit-attention.64" }, rows.Select(r => r.Id));
        Assert.Equal(new[] { "inference, sdpa, auto conv, nchw, hint once", "inference, sdpa, direct conv, nchw, hint once", "inference, explicit, auto conv, nchw, hint once" },
            rows.Select(r => r.Configuration));
        foreach (var r in rows)
        {
            Assert.Equal(3, r.Time.Seconds.Count);
            Assert.True(r.Time.Seconds.All(s => s > 0));
            Assert.Equal(rows[0].GigaMacs, r.GigaMacs);                       // one graph, three kernels
            Assert.True(r.GigaMacs > 0 && r.Efficiency > 0);
        }
        Assert.Contains("÷ optimised, same round: median", rows[1].Note);
        Assert.DoesNotContain(report.Measurements, m => m.Group == BenchGroups.UNetControlNet);   // opt-in group only
    }
}
