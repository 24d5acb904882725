using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlNet.Benchmarks.Annotators;

/// <summary>What the Python driver (reference_driver.py) printed for one original annotator: its timed runs and peak RSS, or why it did not run.</summary>
internal sealed record ReferenceRun(
    [property: JsonPropertyName("estimator")] string Estimator,
    [property: JsonPropertyName("seconds")] IReadOnlyList<double> Seconds,
    [property: JsonPropertyName("peakRssBytes")] long PeakRssBytes,
    [property: JsonPropertyName("baseRssBytes")] long BaseRssBytes,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("torch")] string? Torch = null,
    [property: JsonPropertyName("shims")] IReadOnlyList<string>? Shims = null)
{
    /// <summary>Parses the driver's last stdout line (earlier lines are the original code's own prints, e.g. "cuda").</summary>
    public static ReferenceRun Parse(string stdout)
    {
        var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
                   ?? throw new InvalidDataException("The reference driver printed nothing.");
        try
        {
            return JsonSerializer.Deserialize<ReferenceRun>(last) ?? throw new InvalidDataException("The reference driver printed null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The reference driver's last line is not its JSON result: {last[..Math.Min(last.Length, 200)]} ({e.Message})");
        }
    }

    /// <summary>The driver script, shipped as an embedded resource of this assembly.</summary>
    public static string DriverSource()
    {
        using var stream = typeof(ReferenceRun).Assembly.GetManifestResourceStream("ControlNet.Benchmarks.Annotators.reference_driver.py")
                           ?? throw new InvalidOperationException("reference_driver.py is missing from the bench assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Runs the driver in its own process (so its peak RSS is its own) and parses its result.</summary>
    public static ReferenceRun Run(string python, string driver, string estimator, string annotatorParent, string weights, string imageNpy,
        int resolution, int warmup, int runs, int threads, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { driver, estimator, annotatorParent, weights, imageNpy, $"{resolution}", $"{warmup}", $"{runs}", $"{threads}" })
            psi.ArgumentList.Add(a);
        psi.Environment["OMP_NUM_THREADS"] = $"{threads}";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {python}.");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var err = stderr.Result.Trim().Split('\n').LastOrDefault() ?? "";
            return new ReferenceRun(estimator, [], 0, 0, $"{python} exited with {process.ExitCode}: {err}");
        }
        return Parse(stdout);
    }
}
