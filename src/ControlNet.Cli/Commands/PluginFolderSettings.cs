using System.ComponentModel;
using ControlNet.Hosting.Plugins;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>Settings shared by commands that load condition plug-ins.</summary>
public class PluginFolderSettings : GlobalSettings
{
    [CommandOption("--plugins <DIR>")]
    [Description("An extra plug-in folder (one subfolder per plug-in), scanned after the built-ins and $CONTROLNET_HOME/plugins. Repeatable.")]
    public string[] PluginFolders { get; init; } = [];

    /// <summary>The default catalog plus the folders given; relative folders are resolved against the working folder here, the catalog takes absolute ones.</summary>
    public PluginCatalog LoadCatalog() => PluginCatalog.CreateDefault(PluginFolders.Select(Path.GetFullPath).ToArray());
}
