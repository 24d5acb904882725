using System.ComponentModel;
using ControlNet.Hosting.Packages;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary><c>controlnet plugins update [ID] [--source FEED] [--trust] [--prerelease]</c>: newest version from the recorded source (or --source).</summary>
public sealed class PluginsUpdateCommand : AsyncCommand<PluginsUpdateCommand.Settings>
{
    public sealed class Settings : PluginPackageSettings
    {
        [CommandArgument(0, "[ID]")]
        [Description("Package id to update; all installed plug-in packages when omitted.")]
        public string? Id { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var home = PluginHome.Default;
        var sources = settings.Source is null ? [] : PluginPackageSources.Resolve(settings.Source, Directory.GetCurrentDirectory());
        var installer = new PluginInstaller(home, sources);
        if (settings.Id is null && installer.Registry.Load().Count == 0)
        {
            Console.WriteLine($"No plug-in packages are installed in {home.Plugins}.");
            return ExitCodes.Success;
        }
        var results = await installer.UpdateAsync(settings.Id, useRecordedSource: settings.Source is null, settings.Trust, settings.Prerelease, cancellationToken);
        int exit = ExitCodes.Success;
        foreach (var r in results)
        {
            if (!r.Changed) { Console.WriteLine($"{r.Id} {r.Version.ToNormalizedString()} is up to date ({r.Source})."); continue; }
            Console.WriteLine($"Updated {r.Id} {r.PreviousVersion?.ToNormalizedString()} → {r.Version.ToNormalizedString()} from {r.Source}");
            exit = Math.Max(exit, PluginPackageSettings.ReportLoad(r));
        }
        return exit;
    }
}
