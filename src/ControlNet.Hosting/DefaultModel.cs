using ControlNet.Pipelines;

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
    /// Generation defaults a model folder's <c>controlnet-model.json</c> declares: <c>image_size</c> (the toy model is
    /// trained at 32 px) and <c>guidance_scale</c>; nulls when absent or not a model folder.
    /// </summary>
    public static (int? ImageSize, double? GuidanceScale) FolderDefaults(string baseModel)
    {
        if (!ModelFolderManifest.IsModelFolder(baseModel)) return (null, null);
        var manifest = ModelFolderManifest.Read(baseModel);
        return (manifest.ImageSize, manifest.GuidanceScale);
    }

    /// <summary>
    /// <paramref name="defaults"/> with a model folder's <c>image_size</c> and <c>guidance_scale</c> where they are still the
    /// library's (512 × 512, scale 9): a host on the toy model generates at its 32 px without saying so, and a size or
    /// scale the host did set wins. Unchanged for checkpoints, diffusers folders and hub ids.
    /// </summary>
    public static GenerationSettings WithFolderDefaults(GenerationSettings defaults, string baseModel)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var (size, guidance) = FolderDefaults(baseModel);
        var library = new GenerationSettings();
        bool sizeUnset = defaults.Width == library.Width && defaults.Height == library.Height;
        return defaults with
        {
            Width = sizeUnset && size is int w ? w : defaults.Width,
            Height = sizeUnset && size is int h ? h : defaults.Height,
            GuidanceScale = defaults.GuidanceScale == library.GuidanceScale && guidance is double g ? g : defaults.GuidanceScale,
        };
    }

    /// <summary>
    /// The ControlNet trained for condition <paramref name="conditionType"/> that a model folder ships, as listed in its
    /// manifest under <c>"controlnets": { "canny": "controlnet-canny.safetensors" }</c> (the toy model's layout,
    /// docs/training.md); an absolute path, or null when the folder lists none for the type.
    /// </summary>
    public static string? ControlNetInside(string baseModel, string conditionType) =>
        ModelFolderManifest.IsModelFolder(baseModel) ? ModelFolderManifest.Read(baseModel).ControlNetFile(baseModel, conditionType) : null;
}
