namespace ControlNet.Hosting;

/// <summary>
/// The small model the project ships so that generation works offline on a fresh machine. It is the one place that
/// knows where it lives: <see cref="RelativePath"/> under the application folder (the CLI build copies the repository's
/// <c>models/toy/</c> there; docs/cli.md).
/// </summary>
public static class DefaultModel
{
    /// <summary>Folder of the shipped toy model, relative to the application folder and to the repository root.</summary>
    public const string RelativePath = "models/toy";

    /// <summary>The absolute folder next to the running application.</summary>
    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, RelativePath);

    public static bool IsInstalled => Directory.Exists(Path);

    /// <summary>What to tell a user whose default model is missing.</summary>
    public static string MissingMessage =>
        $"The default model folder '{Path}' does not exist. Either name a model with --model (a checkpoint file, a diffusers folder " +
        $"or a Hugging Face id such as runwayml/stable-diffusion-v1-5), or build the CLI from a checkout that contains {RelativePath}/ " +
        "(dotnet build src/ControlNet.Cli copies it next to the executable; the dotnet tool package carries it).";

    /// <summary>
    /// Where a ControlNet trained for condition <paramref name="conditionType"/> sits inside a base-model folder, by the
    /// convention the shipped model follows: <c>&lt;base&gt;/controlnets/&lt;type&gt;</c> (file or folder). Null when absent.
    /// </summary>
    public static string? ControlNetInside(string baseModel, string conditionType)
    {
        if (!Directory.Exists(baseModel)) return null;
        var folder = System.IO.Path.Combine(baseModel, "controlnets");
        if (!Directory.Exists(folder)) return null;
        var dir = System.IO.Path.Combine(folder, conditionType);
        if (Directory.Exists(dir)) return dir;
        return Directory.GetFiles(folder, conditionType + ".*").Order(StringComparer.Ordinal).FirstOrDefault();
    }
}
