using System.Globalization;

namespace ControlNet.Hosting.Runs;

/// <summary>
/// The PNG text chunks every image of a run carries: the whole run as JSON (so <see cref="GenerationRun.FromPng"/>
/// repeats it), the image's seed and index, and the A1111-style <c>parameters</c> summary that image viewers show.
/// </summary>
public static class RunMetadata
{
    /// <summary>PNG text keys.</summary>
    public const string RunKey = "controlnet:run", SeedKey = "controlnet:seed", IndexKey = "controlnet:index", ParametersKey = "parameters";

    /// <summary>The text chunks for image <paramref name="index"/> of <paramref name="run"/>, which started from <paramref name="seed"/>.</summary>
    public static Dictionary<string, string> For(GenerationRun run, int index, long seed) => new()
    {
        [RunKey] = run.ToCompactJson(),
        [IndexKey] = index.ToString(CultureInfo.InvariantCulture),
        [SeedKey] = seed.ToString(CultureInfo.InvariantCulture),
        [ParametersKey] = Parameters(run, seed),
    };

    /// <summary>The A1111-style summary; the exact run is in <see cref="RunKey"/>.</summary>
    public static string Parameters(GenerationRun run, long seed)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = run.Prompt + (run.Negative.Length > 0 ? "\nNegative prompt: " + run.Negative : "") +
                   string.Format(inv, "\nSteps: {0}, Sampler: {1}, CFG scale: {2}, Seed: {3}, Size: {4}x{5}, Model: {6}",
                       run.Steps, run.Sampler, run.Cfg, seed, run.Width, run.Height, run.Model is null ? "toy" : Path.GetFileName(run.Model.TrimEnd('/')));
        for (int i = 0; i < run.Controls.Count; i++)
        {
            var c = run.Controls[i];
            text += string.Format(inv, ", ControlNet {0}: \"Module: {1}, Model: {2}, Weight: {3}, Guidance Start: {4}, Guidance End: {5}, Control Mode: {6}\"",
                i, c.Pre ?? c.Type, Path.GetFileName(c.Model?.TrimEnd('/') ?? ""), c.Strength, c.Start, c.End, c.Mode);
        }
        return text;
    }
}
