using System.Globalization;
using System.Text;

namespace ControlNet.Benchmarks;

/// <summary>A <see cref="BenchReport"/> as Markdown tables (docs/performance.md pastes this output).</summary>
internal static class BenchMarkdown
{
    public static string Render(BenchReport r)
    {
        var c = CultureInfo.InvariantCulture;
        string F(double v, string fmt) => v.ToString(fmt, c);
        string Load(double[] l) => string.Join(" / ", l.Select(v => F(v, "0.00")));
        var sb = new StringBuilder();
        sb.AppendLine($"Run of {r.Started.ToUniversalTime():yyyy-MM-dd HH:mm} UTC, {F(r.Duration.TotalMinutes, "0")} min: {r.Machine.Cpu}, {r.Machine.LogicalCores} logical cores, " +
                      $"{r.Machine.TorchThreads} torch threads, TorchSharp {r.Machine.TorchSharp}, {r.Machine.Runtime}; architecture {r.Architecture}, fp32, " +
                      $"CFG batch {r.Batch}, {r.Warmup} warm-up + {r.Runs} timed runs per row.");
        sb.AppendLine($"Load average (1/5/15 min) at start {Load(r.LoadAverageStart)}, at end {Load(r.LoadAverageEnd)}.");
        sb.AppendLine($"CPU flags: {(r.Machine.CpuFlags.Length > 0 ? r.Machine.CpuFlags : "unknown")}; threading: {r.Machine.TorchThreads} intra-op, {r.Machine.InteropThreads} inter-op, " +
                      $"{(r.Machine.Threading.Length > 0 ? r.Machine.Threading : "unknown")}; background load: {r.Machine.BackgroundLoadThreads} busy thread(s).");
        sb.AppendLine();
        sb.AppendLine("| row | size | configuration | threads | median s | min–max s | GMAC | GFLOP/s | ref. conv GFLOP/s | efficiency | load (1 min) | peak RSS GB |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var m in r.Measurements)
            sb.AppendLine($"| {m.Name} | {m.Size?.ToString(c) ?? ""} | {m.Configuration} | {m.Threads?.ToString(c) ?? ""} | {F(m.Time.Median, "0.000")} | {F(m.Time.Min, "0.000")}–{F(m.Time.Max, "0.000")} | " +
                          $"{(m.GigaMacs is double g ? F(g, "0.0") : "")} | {(m.GflopPerSecond is double f ? F(f, "0.0") : "")} | " +
                          $"{(m.ReferenceGflopPerSecond is double rg ? F(rg, "0.0") : "")} | " +
                          $"{(m.Efficiency is double e ? F(e * 100, "0") + " %" : "")} | {(m.LoadAverage is double la ? F(la, "0.00") : "")} | {F(m.PeakRssBytes / 1e9, "0.00")} |");
        var rowNotes = r.Measurements.Where(m => m.Note is { } n && !n.StartsWith("batch ", StringComparison.Ordinal)).ToList();
        if (rowNotes.Count > 0)
        {
            sb.AppendLine();
            foreach (var m in rowNotes) sb.AppendLine($"* {m.Name}{(m.Size is int s ? $" at {s}" : "")}: {m.Note}");
        }
        if (r.MacChecks.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("| MAC walker (batch 1, 512) | counted GMAC | REFERENCE §10 | match |");
            sb.AppendLine("|---|---|---|---|");
            foreach (var m in r.MacChecks)
                sb.AppendLine($"| {m.Network} | {F(m.CountedGigaMacs, "0.0")} | {F(m.ReferenceGigaMacs, "0.0")} | {(m.Matches ? "yes" : "**no**")} |");
        }
        sb.AppendLine();
        sb.AppendLine("| target | goal | measured | met |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var t in r.Targets)
            sb.AppendLine($"| {t.Name} | {t.Goal} | {t.Measured} | {t.Met switch { true => "yes", false => "**no**", null => "–" }} |");
        if (r.Annotators is { Count: > 0 } ann)
        {
            sb.AppendLine();
            sb.AppendLine("| " + string.Join(" | ", Annotators.AnnotatorTable.Header) + " |");
            sb.AppendLine("|" + string.Concat(Enumerable.Repeat("---|", Annotators.AnnotatorTable.Header.Count)));
            foreach (var a in ann) sb.AppendLine("| " + string.Join(" | ", Annotators.AnnotatorTable.Cells(a)) + " |");
        }
        foreach (var p in r.Profiles ?? [])
        {
            sb.AppendLine();
            sb.AppendLine($"Profile of one step, {p.Name} at {p.Size}: {F(p.StepSeconds, "0.000")} s with hooks ({F(p.PlainStepSeconds, "0.000")} s without); {F(p.UnhookedSeconds, "0.000")} s outside every module.");
            sb.AppendLine();
            sb.AppendLine("| module class (self time) | calls | s | share of the step |");
            sb.AppendLine("|---|---|---|---|");
            foreach (var t in p.ByType)
                sb.AppendLine($"| {t.Name} | {t.Calls} | {F(t.Seconds, "0.000")} | {F(100 * t.Seconds / p.StepSeconds, "0.0")} % |");
            sb.AppendLine();
            sb.AppendLine("| block (inclusive) | calls | s | share of the step |");
            sb.AppendLine("|---|---|---|---|");
            foreach (var t in p.ByBlock)
                sb.AppendLine($"| {t.Name} | {t.Calls} | {F(t.Seconds, "0.000")} | {F(100 * t.Seconds / p.StepSeconds, "0.0")} % |");
        }
        if (r.Notes.Count > 0)
        {
            sb.AppendLine();
            foreach (var n in r.Notes) sb.AppendLine($"* {n}");
        }
        return sb.ToString();
    }
}
