using System.Globalization;

namespace ControlNet.Benchmarks.Annotators;

/// <summary>The annotator comparison as table cells, shared by the console table and the Markdown report.</summary>
internal static class AnnotatorTable
{
    public static IReadOnlyList<string> Header { get; } =
        ["estimator", "weights", "size", "ours median s", "ref. conv GFLOP/s", "original median s", "ratio (≤ 1.2)", "ours peak RSS GB", "beyond weights GB (≤ 2)", "original peak RSS GB", "reference"];

    public static IReadOnlyList<string> Cells(AnnotatorComparison a)
    {
        var c = CultureInfo.InvariantCulture;
        string Gb(long b) => (b / 1e9).ToString("0.00", c);
        return
        [
            a.Estimator, $"{a.WeightFile} ({(a.WeightBytes / 1e6).ToString("0.0", c)} MB)", a.Size.ToString(c), a.OursMedianSeconds.ToString("0.000", c),
            a.ReferenceConvGflopPerSecond?.ToString("0.0", c) ?? "", a.OriginalMedianSeconds?.ToString("0.000", c) ?? "",
            a.Ratio is double r ? $"{r.ToString("0.00", c)} ({(r <= AnnotatorComparison.RatioTarget ? "met" : "not met")})" : "",
            Gb(a.OursPeakRssBytes), $"{Gb(a.OursPeakBeyondWeightsBytes)} ({(a.OursPeakBeyondWeightsBytes <= AnnotatorComparison.BeyondWeightsTargetBytes ? "met" : "not met")})",
            a.OriginalPeakRssBytes is long o ? Gb(o) : "", a.ReferenceNote ?? "same run, same weights",
        ];
    }
}
