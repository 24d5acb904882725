using System.Globalization;

namespace ControlNet.Benchmarks;

/// <summary>The targets of issue 10, checked against a report (Met = null when the run did not measure the figure).</summary>
internal static class BenchTargets
{
    public const double StepSeconds512 = 10.0;
    public const double Efficiency = 0.65;
    public const double StepSeconds256 = 2.0;
    public const double ControlNetOverheadRatio = 1.4;
    public const double PeakRssGb = 6.0;
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
        list.Add(new("peak RSS with fp16/bf16 weight storage", "≤ 3.5 GB", "not implemented (fp32 only)", null));
        var decode = r.Find($"vae.decode.{size}");
        list.Add(decode is null
            ? new($"VAE decode at {size}", $"≤ {VaeDecodeSeconds} s", "not measured", null)
            : new($"VAE decode at {size}", $"≤ {VaeDecodeSeconds} s", S(decode.Time.Median, " s"), decode.Time.Median <= VaeDecodeSeconds));
        return list;
    }
}
