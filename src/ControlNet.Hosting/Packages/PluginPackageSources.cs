using NuGet.Configuration;

namespace ControlNet.Hosting.Packages;

/// <summary>Which NuGet feeds a plug-in is looked up in.</summary>
public static class PluginPackageSources
{
    /// <summary>
    /// <paramref name="source"/> when given — a folder (a folder feed of .nupkg files), an http(s) URL or the name of a
    /// source in nuget.config — otherwise the enabled sources of the NuGet configuration that applies in
    /// <paramref name="workingDirectory"/> (nuget.config files up the folder tree, then the user's).
    /// </summary>
    public static IReadOnlyList<PackageSource> Resolve(string? source, string workingDirectory)
    {
        var settings = Settings.LoadDefaultSettings(workingDirectory);
        var configured = new PackageSourceProvider(settings).LoadPackageSources().ToArray();
        if (source is null)
        {
            var enabled = configured.Where(s => s.IsEnabled).ToArray();
            if (enabled.Length == 0)
                throw new InvalidOperationException("No NuGet source is configured (nuget.config). Pass --source with a feed URL or a folder of .nupkg files.");
            return enabled;
        }
        var byName = configured.FirstOrDefault(s => string.Equals(s.Name, source, StringComparison.OrdinalIgnoreCase));
        if (byName is not null) return [byName];
        var folder = Path.GetFullPath(source, workingDirectory);
        if (Directory.Exists(folder)) return [new PackageSource(folder)];
        if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
            return [new PackageSource(source)];
        throw new ArgumentException(
            $"Source '{source}' is not an existing folder, an http(s) feed URL or a source name from nuget.config " +
            $"({(configured.Length == 0 ? "none configured" : string.Join(", ", configured.Select(s => s.Name)))}).");
    }
}
