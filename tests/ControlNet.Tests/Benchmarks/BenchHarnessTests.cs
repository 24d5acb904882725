using ControlNet.Benchmarks;
using ControlNet.Models;
using ControlNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Benchmarks;

/// <summary>
/// The benchmark harness on the toy architecture: structure and invariants only (row set, statistics, MAC additivity,
/// JSON round trip), never timings — those depend on the machine.
/// </summary>
public class BenchHarnessTests
{
    public BenchHarnessTests() => TorchRuntime.EnsureInitialized();

    static readonly Lazy<BenchReport> ToyReport = new(() => BenchRunner.Run(new BenchOptions
    {
        Architecture = "toy",
        Sizes = new[] { 64 },
        Runs = 2,
        Warmup = 1,
        ConvChannels = 16,
        ConvSide = 16,
        TrainLatent = 16,
        VaeTile = 8,
    }));

    [Fact]
    public void A_full_toy_run_reports_every_row_with_consistent_statistics()
    {
        var r = ToyReport.Value;
        var expected = new[]
        {
            "conv.reference", "conv.reference.1thread", "load.unet", "load.controlnet", "text.encode",
            "vae.decode.64", "vae.decode-tiled.64", "vae.decode-tiled-planned.64", "vae.encode.64",
            "step.unet.64", "step.controlnet.64", "step.unet+cn.64", "step.eager.64", "step.unet+cn.1thread.64",
            "ablation.autograd.64", "ablation.nograd.64", "ablation.explicit-attention.64", "ablation.channels-last.64", "ablation.direct-conv.64", "ablation.hint-every-step.64",
            "step.unet+2cn.64", "step.unet+cn.bf16.64", "train.controlnet.16", "train.full.16",
        };
        Assert.Equal(expected, r.Measurements.Select(m => m.Id));
        foreach (var m in r.Measurements)
        {
            Assert.Equal(2, m.Time.Seconds.Count);
            Assert.Equal(1, m.Time.Warmup);
            Assert.All(m.Time.Seconds, s => Assert.True(s > 0));
            Assert.InRange(m.Time.Median, m.Time.Min, m.Time.Max);
            Assert.True(m.PeakRssBytes > 0, $"{m.Id} has no peak RSS");
            if (m.GigaMacs is not null) Assert.Equal(2 * m.GigaMacs.Value / m.Time.Median, m.GflopPerSecond!.Value, 6);
        }
        Assert.NotNull(r.ConvReferenceGflopPerSecond);
        var step = r.Find("step.unet+cn.64")!;
        Assert.True(step.ReferenceGflopPerSecond > 0);
        Assert.Equal(step.GflopPerSecond!.Value / step.ReferenceGflopPerSecond!.Value, step.Efficiency!.Value, 9);
        // Rows without a throughput (loading) or with a forward-only count (training) carry no efficiency.
        Assert.All(r.Measurements.Where(m => m.Group is BenchGroups.Load or BenchGroups.Train || m.Id == "conv.reference"), m => Assert.Null(m.Efficiency));
        Assert.All(r.Measurements.Where(m => m.Id.StartsWith("step.", StringComparison.Ordinal)), m => Assert.NotNull(m.Efficiency));
        Assert.Equal(2, r.Machine.TorchThreads);
        Assert.Equal(r.Measurements.Max(m => m.PeakRssBytes), r.PeakRssBytes);
        Assert.Equal(11, r.Targets.Count);
        Assert.Equal(1, r.Find("step.unet+cn.1thread.64")!.Threads);
        Assert.Equal(2, step.Threads);
        Assert.All(r.Measurements, m => Assert.NotNull(m.LoadAverage));
        Assert.Contains("max |Δ| vs fp32 weights", r.Find("step.unet+cn.bf16.64")!.Note);
        Assert.Contains("max pixel difference", r.Find("vae.decode-tiled-planned.64")!.Note);
        Assert.Contains("from the seams", r.Find("vae.decode-tiled-planned.64")!.Note);
        Assert.Empty(r.MacChecks);    // only sd15 has reference counts
    }

    [Fact]
    public void Step_macs_add_up_across_configurations()
    {
        var r = ToyReport.Value;
        double G(string id) => r.Find(id)!.GigaMacs!.Value;
        var unet = G("step.unet.64");
        var cn = G("step.controlnet.64");
        Assert.Equal(unet + cn, G("step.unet+cn.64"), 9);
        Assert.Equal(unet + 2 * cn, G("step.unet+2cn.64"), 9);
        // Same graph whatever the grad mode, attention kernel or layout or convolution kernel.
        foreach (var id in new[] { "ablation.autograd.64", "ablation.nograd.64", "ablation.explicit-attention.64", "ablation.channels-last.64", "ablation.direct-conv.64" })
            Assert.Equal(G("step.unet+cn.64"), G(id), 9);
        // The eager port and hint-every-step also run the hint encoder inside the step.
        Assert.True(G("step.eager.64") > G("step.unet+cn.64"));
        Assert.Equal(G("step.eager.64"), G("ablation.hint-every-step.64"), 9);
        // Conv reference: 2·64·16·16 per output pixel... = B·H·W·Cout·Cin·9.
        Assert.Equal(2.0 * 16 * 16 * 16 * 16 * 9 / 1e9, G("conv.reference"), 12);
    }

    [Fact]
    public void The_report_round_trips_through_json()
    {
        var r = ToyReport.Value;
        var path = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        try
        {
            r.WriteJson(path);
            var back = BenchReport.FromJson(File.ReadAllText(path));
            Assert.Equal(r.Measurements.Select(m => m.Id), back.Measurements.Select(m => m.Id));
            Assert.Equal(r.Measurements.Select(m => m.Time.Median), back.Measurements.Select(m => m.Time.Median));
            Assert.Equal(r.LoadAverageStart.Length, back.LoadAverageStart.Length);
            Assert.Equal(r.Targets.Select(t => t.Met), back.Targets.Select(t => t.Met));
            Assert.Contains("\"loadAverageStart\"", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Only_selects_groups_and_bad_options_name_the_fix()
    {
        var r = BenchRunner.Run(new BenchOptions
        {
            Architecture = "toy", Sizes = new[] { 64 }, Runs = 1, ConvChannels = 8, ConvSide = 8, Threads = 1,
            Only = new HashSet<string> { BenchGroups.UNet },
        });
        Assert.Equal(new[] { "conv.reference", "step.unet.64" }, r.Measurements.Select(m => m.Id));
        Assert.Contains("multiple of 64", Assert.Throws<ArgumentException>(() => new BenchOptions { Sizes = new[] { 100 } }.Validate()).Message);
        Assert.Contains("unet+cn", Assert.Throws<ArgumentException>(() => new BenchOptions { Only = new HashSet<string> { "unet-cn" } }.Validate()).Message);
        Assert.Contains("at least 1", Assert.Throws<ArgumentException>(() => new BenchOptions { Warmup = 0 }.Validate()).Message);
    }

    [Fact]
    public void Timing_reports_median_min_max_and_spread()
    {
        var delays = new Queue<int>(new[] { 0, 30, 10, 20 });   // first call is the warm-up
        var stats = Timing.Measure(() => Thread.Sleep(delays.Dequeue()), warmup: 1, runs: 3);
        Assert.Equal(3, stats.Seconds.Count);
        Assert.Empty(delays);
        Assert.True(stats.Min >= 0.009 && stats.Max >= 0.029);
        Assert.InRange(stats.Median, 0.019, stats.Max);
        Assert.Equal((stats.Max - stats.Min) / stats.Median, stats.RelativeSpread, 12);
    }
}
