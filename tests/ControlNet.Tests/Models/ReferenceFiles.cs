namespace ControlNet.Tests.Models;

/// <summary>Finds shared/reference (sibling of shared/data) by the COMMON.md rule: walk up to a "shared" folder, then env, then /work/shared.</summary>
internal static class ReferenceFiles
{
    public static string CheckpointKeysTsv => Path.Combine(Folder(), "checkpoint-keys.tsv");

    private static string Folder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "reference");
            if (Directory.Exists(Path.Combine(dir.FullName, "shared", "data")) && Directory.Exists(candidate)) return candidate;
        }
        var env = Environment.GetEnvironmentVariable("CONTROLNET_SHARED_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(Path.Combine(env, "..", "reference")))
            return Path.GetFullPath(Path.Combine(env, "..", "reference"));
        return "/work/shared/reference";
    }

    /// <summary>(key without prefix, shape) of one component of checkpoint-keys.tsv, in file order.</summary>
    public static List<(string Key, long[] Shape)> Keys(string component, string prefix) =>
        File.ReadLines(CheckpointKeysTsv).Skip(1)
            .Select(l => l.Split('\t'))
            .Where(c => c[0] == component)
            .Select(c => (c[1].StartsWith(prefix, StringComparison.Ordinal) ? c[1][prefix.Length..] : throw new InvalidDataException($"{c[1]} lacks prefix {prefix}"),
                          c[3].Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray()))
            .ToList();
}
