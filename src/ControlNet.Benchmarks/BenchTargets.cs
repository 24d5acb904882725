using System.Globalization;

namespace ControlNet.Benchmarks;

/// <summary>The targets of issues 10 and 19, checked against a report (Met = null when the run did not measure the figure).</summary>
internal static class BenchTargets
{
    public const double StepSeconds512 = 10.0;
    public const double Efficiency = 0.80;              // issue 19: at 512
    public const double Efficiency256 = 0.65;           // issue 19: at 256
    public const double StepSeconds256 = 2.0;
    public const double ControlNetOverheadRatio = 1.4;
    public const double PeakRssGb = 5.5;               // issue 19 (issue 10: 6)
    public const double PeakRssGb16 = 3.0;             // issue 19, 16-bit weight storage
    public const double TiledDecodeRatio = 1.3;        // issue 19: tiled decode ÷ whole decode at 512
    public const double VaeDecodeSeconds = 15.0;

    public static IReadOnlyList<TargetResult> Evaluate(BenchReport r)
    {
        static string S(double v, string unit) => v.ToString("0.00", CultureInfo.InvariantCulture) + unit;
        var list = new List<TargetResult>();
        var step512 = r.Find("step.unet+cn.512");
        list.Add(step512 is null
            ? new("step at 512 (U-Net + 1 ControlNet, CFG batch)", $"≤ {StepSeconds512} s", "not measured", null)
            : new("step at 512 (U-Net + 1 ControlNet, CFG batch)", $"≤ {StepSeconds512} s", S(step512.Time.Median, " s"), step512.Time.Median <= StepSeconds512));
        list.Add(step512?.Efficiency is double eff
            ? new("efficiency of that step", $"≥ {Efficiency:P0}", eff.ToString("P0", CultureInfo.InvariantCulture), eff >= Efficiency)
            : new("efficiency of that step", $"≥ {Efficiency:P0}", "not measured", null));
        var step256 = r.Find("step.unet+cn.256");
        list.Add(step256 is null
            ? new("step at 256", $"≤ {StepSeconds256} s", "not measured", null)
            : new("step at 256", $"≤ {StepSeconds256} s", S(step256.Time.Median, " s"), step256.Time.Median <= StepSeconds256));
        list.Add(step256?.Efficiency is double eff256
            ? new("efficiency of the step at 256", $"≥ {Efficiency256:P0}", eff256.ToString("P0", CultureInfo.InvariantCulture), eff256 >= Efficiency256)
            : new("efficiency of the step at 256", $"≥ {Efficiency256:P0}", "not measured", null));
        // Steady under load: the default thread count against 1 thread, same run (meaningful with --background-load).
        var oneThread = r.Measurements.FirstOrDefault(m => m.Id.StartsWith("step.unet+cn.1thread.", StringComparison.Ordinal));
        var nThreads = oneThread is null ? null : r.Find(oneThread.Id.Replace(".1thread", "", StringComparison.Ordinal));
        list.Add(oneThread is null || nThreads is null
            ? new("step with the default threads vs 1 thread (with --background-load 2)", "≤ 1.00×", "not measured", null)
            : new($"step with {r.Machine.TorchThreads} threads vs 1 thread at {oneThread.Size} (background load {r.Machine.BackgroundLoadThreads})", "≤ 1.00×",
                S(nThreads.Time.Median / oneThread.Time.Median, "×"), nThreads.Time.Median <= oneThread.Time.Median));
        var size = r.Sizes.Max();
        var withCn = r.Find($"step.unet+cn.{size}");
        var alone = r.Find($"step.unet.{size}");
        if (withCn is null || alone is null)
            list.Add(new($"U-Net + ControlNet vs U-Net alone at {size}", $"≤ {ControlNetOverheadRatio}×", "not measured", null));
        else
        {
            // Each time × the reference convolution's speed next to it: the ratio of the two rows at equal machine speed.
            var normalised = withCn.ReferenceGflopPerSecond is double a && alone.ReferenceGflopPerSecond is double b;
            var ratio = normalised
                ? withCn.Time.Median * withCn.ReferenceGflopPerSecond!.Value / (alone.Time.Median * alone.ReferenceGflopPerSecond!.Value)
                : withCn.Time.Median / alone.Time.Median;
            list.Add(new($"U-Net + ControlNet vs U-Net alone at {size}{(normalised ? " (load-normalised)" : "")}", $"≤ {ControlNetOverheadRatio}×",
                S(ratio, "×"), ratio <= ControlNetOverheadRatio));
        }
        list.Add(withCn is null
            ? new("peak RSS, fp32 (U-Net + ControlNet + VAE + text encoder resident)", $"≤ {PeakRssGb} GB", "not measured", null)
            : new("peak RSS, fp32 (U-Net + ControlNet + VAE + text encoder resident)", $"≤ {PeakRssGb} GB", S(withCn.PeakRssBytes / 1e9, " GB"), withCn.PeakRssBytes / 1e9 <= PeakRssGb));
        var bf16 = r.Find($"step.unet+cn.bf16.{r.Sizes.Max()}");
        list.Add(bf16 is null
            ? new("peak RSS with bf16 weight storage", $"≤ {PeakRssGb16} GB", "not measured", null)
            : new("peak RSS with bf16 weight storage", $"≤ {PeakRssGb16} GB", S(bf16.PeakRssBytes / 1e9, " GB"), bf16.PeakRssBytes / 1e9 <= PeakRssGb16));
        // The memory group's whole generations from files (load + text + step + decode), with memory policy release.
        foreach (var (weights, goal) in new[] { ("fp32", PeakRssGb), ("bf16", PeakRssGb16) })
            if (r.Find($"memory.{weights}.release.{r.Sizes.Max()}") is { } generation)
                list.Add(new($"peak RSS of a generation from files, {weights} weights, memory policy release", $"≤ {goal} GB",
                    S(generation.PeakRssBytes / 1e9, " GB"), generation.PeakRssBytes / 1e9 <= goal));
        var decode = r.Find($"vae.decode.{size}");
        foreach (var tiled in r.Measurements.Where(m => m.Id.StartsWith("vae.decode-tiled", StringComparison.Ordinal) && m.Size == size))
            list.Add(decode is null
                ? new($"{tiled.Name} vs whole decode at {size}", $"≤ {TiledDecodeRatio}×", "not measured", null)
                : new($"{tiled.Name} vs whole decode at {size}", $"≤ {TiledDecodeRatio}×", S(tiled.Time.Median / decode.Time.Median, "×"),
                    tiled.Time.Median / decode.Time.Median <= TiledDecodeRatio));
        list.Add(decode is null
            ? new($"VAE decode at {size}", $"≤ {VaeDecodeSeconds} s", "not measured", null)
            : new($"VAE decode at {size}", $"≤ {VaeDecodeSeconds} s", S(decode.Time.Median, " s"), decode.Time.Median <= VaeDecodeSeconds));
        return list;
    }
}
