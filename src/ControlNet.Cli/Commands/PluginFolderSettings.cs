using System.ComponentModel;
using ControlNet.Annotators;
using ControlNet.Hosting.Plugins;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>Settings shared by commands that load condition plug-ins.</summary>
public class PluginFolderSettings : GlobalSettings
{
    [CommandOption("--plugins <DIR>")]
    [Description("An extra plug-in folder (one subfolder per plug-in), scanned after the built-ins and $CONTROLNET_HOME/plugins. Repeatable.")]
    public string[] PluginFolders { get; init; } = [];

    [CommandOption("--annotator-path <DIR>")]
    [Description("Folder with annotator weights (ControlNetHED.pth, …) for neural preprocessors. Also searched: the Hugging Face cache of lllyasviel/Annotators.")]
    public string? AnnotatorPath { get; init; }

    [CommandOption("--download-annotators")]
    [Description("Download a missing annotator weight file from lllyasviel/Annotators into the Hugging Face cache.")]
    public bool DownloadAnnotators { get; init; }

    /// <summary>Where neural preprocessors find their weights.</summary>
    public AnnotatorFiles Annotators() => new(new AnnotatorFileOptions
    {
        Folder = AnnotatorPath is null ? null : Path.GetFullPath(AnnotatorPath),
        Download = DownloadAnnotators,
    });

    /// <summary>The default catalog plus the folders given; relative folders are resolved against the working folder here, the catalog takes absolute ones.</summary>
    public PluginCatalog LoadCatalog() => PluginCatalog.CreateDefault(PluginFolders.Select(Path.GetFullPath).ToArray());
}
