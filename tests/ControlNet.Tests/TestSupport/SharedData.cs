namespace ControlNet.Tests.TestSupport;

/// <summary>
/// Finds the read-only shared test data (COMMON.md): walk up from the test binary to a folder that has a sibling
/// <c>shared/data</c> (worktrees at /work/wt/X see /work/wt/shared), then env CONTROLNET_SHARED_DATA, then /work/shared/data.
/// The data is read in place, never copied into the repository.
/// </summary>
public static class SharedData
{
    static readonly Lazy<string> RootPath = new(Locate);

    /// <summary>The shared data folder (contains e.g. clip/vocab.json).</summary>
    public static string Root => RootPath.Value;

    /// <summary>Absolute path of a file or folder under the shared data root; throws naming the looked-up path when it is missing.</summary>
    public static string PathOf(params string[] parts)
    {
        var path = Path.Combine([Root, .. parts]);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"Shared test data '{Path.Combine(parts)}' is missing under {Root}. Set CONTROLNET_SHARED_DATA to the shared/data folder.", path);
        return path;
    }

    /// <summary>A file of the shared reference tables (shared/reference, next to shared/data), e.g. checkpoint-keys.tsv.</summary>
    public static string ReferencePath(params string[] parts)
    {
        var path = Path.Combine([Path.GetDirectoryName(Root.TrimEnd(Path.DirectorySeparatorChar))!, "reference", .. parts]);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Shared reference file '{Path.Combine(parts)}' is missing next to {Root}.", path);
        return path;
    }

    static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        var fromEnv = Environment.GetEnvironmentVariable("CONTROLNET_SHARED_DATA");
        if (!string.IsNullOrEmpty(fromEnv) && Directory.Exists(fromEnv)) return fromEnv;
        const string fallback = "/work/shared/data";
        if (Directory.Exists(fallback)) return fallback;
        throw new DirectoryNotFoundException(
            $"No shared/data folder found above {AppContext.BaseDirectory}, in CONTROLNET_SHARED_DATA or at {fallback}. " +
            "Check out the shared data next to the repository or set CONTROLNET_SHARED_DATA.");
    }
}
