using System.Globalization;

namespace ControlNet.Hosting.Runs;

/// <summary>
/// The PNG text chunks every image of a run carries: the whole run as JSON (so <see cref="GenerationRun.FromPng"/>
/// repeats it), the image's seed and index, and A1111's <c>parameters</c> infotext that image viewers and A1111 read.
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

    /// <summary>A1111's infotext (<see cref="A1111Parameters"/>); the exact run is in <see cref="RunKey"/>.</summary>
    public static string Parameters(GenerationRun run, long seed) => A1111Parameters.Write(run, seed);
}
