using System.ComponentModel;
using ControlNet.Hosting.Packages;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary><c>controlnet plugins remove ID</c>: deletes an installed plug-in package from $CONTROLNET_HOME/plugins.</summary>
public sealed class PluginsRemoveCommand : Command<PluginsRemoveCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<ID>")]
        [Description("Package id of an installed plug-in (see 'controlnet plugins list').")]
        public string Id { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var home = PluginHome.Default;
        var removed = new PluginInstaller(home, []).Remove(settings.Id);
        Console.WriteLine(removed is null
            ? $"Removed the plug-in folder {home.PluginFolder(settings.Id)} (it was not recorded as installed)."
            : $"Removed {removed.Id} {removed.Version}.");
        return ExitCodes.Success;
    }
}
