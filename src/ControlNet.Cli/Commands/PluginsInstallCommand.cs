using System.ComponentModel;
using ControlNet.Hosting.Packages;
using ControlNet.Hosting.Plugins;
using NuGet.Versioning;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>Settings shared by install and update: where to look and the trust decision.</summary>
public class PluginPackageSettings : CommandSettings
{
    [CommandOption("-s|--source <FEED>")]
    [Description("A NuGet feed: a folder of .nupkg files, an http(s) URL or a source name from nuget.config. Default: the sources nuget.config enables.")]
    public string? Source { get; init; }

    [CommandOption("--trust")]
    [Description("Install even though the package id is not in plugins.trustedPackages of $CONTROLNET_HOME/settings.json. A plug-in runs inside the host: review it first.")]
    public bool Trust { get; init; }

    [CommandOption("--prerelease")]
    [Description("Consider prerelease versions when no version is named.")]
    public bool Prerelease { get; init; }

    /// <summary>Checks that the freshly placed folder loads, so a broken package is reported now rather than at the next run.</summary>
    internal static int ReportLoad(PluginInstallResult result)
    {
        var catalog = new PluginCatalog().AddPluginFolder(result.Folder);
        foreach (var p in catalog.Plugins)
            Console.WriteLine($"  condition '{p.Plugin.Id}' ({p.Plugin.DisplayName}), preprocessors: {string.Join(", ", p.Plugin.Preprocessors.Select(x => x.Id))}");
        if (catalog.Failures.Count == 0) return ExitCodes.Success;
        foreach (var f in catalog.Failures) Console.Error.WriteLine($"error: {f.Message}");
        Console.Error.WriteLine($"The package was installed but does not load; remove it with 'controlnet plugins remove {result.Id}'.");
        return ExitCodes.Failure;
    }
}

/// <summary><c>controlnet plugins install PACKAGE[@VERSION] [--source FEED] [--trust] [--prerelease]</c>.</summary>
public sealed class PluginsInstallCommand : AsyncCommand<PluginsInstallCommand.Settings>
{
    public sealed class Settings : PluginPackageSettings
    {
        [CommandArgument(0, "<PACKAGE>")]
        [Description("Package id, optionally with a version: Acme.Sobel or Acme.Sobel@1.2.0.")]
        public string Package { get; init; } = "";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (id, version) = ParsePackage(settings.Package);
        var installer = new PluginInstaller(PluginHome.Default, PluginPackageSources.Resolve(settings.Source, Directory.GetCurrentDirectory()));
        var result = await installer.InstallAsync(new PluginInstallRequest(id, version, settings.Trust, settings.Prerelease), cancellationToken);
        Console.WriteLine(result.PreviousVersion is { } old && old != result.Version
            ? $"Updated {result.Id} {old.ToNormalizedString()} → {result.Version.ToNormalizedString()} from {result.Source} in {result.Folder}"
            : $"Installed {result.Id} {result.Version.ToNormalizedString()} from {result.Source} into {result.Folder}");
        return PluginPackageSettings.ReportLoad(result);
    }

    internal static (string Id, NuGetVersion? Version) ParsePackage(string text)
    {
        int at = text.IndexOf('@');
        if (at < 0) return (text.Trim(), null);
        var id = text[..at].Trim();
        var v = text[(at + 1)..].Trim();
        if (id.Length == 0 || !NuGetVersion.TryParse(v, out var version))
            throw new UserFacingException($"'{text}' is not PACKAGE or PACKAGE@VERSION; write e.g. Acme.Sobel@1.2.0.", ExitCodes.Usage);
        return (id, version);
    }
}
