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
        var manifest = System.IO.Path.Combine(baseModel, "controlnet-model.json");
        if (!File.Exists(manifest)) return (null, null);
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(manifest));
            var root = doc.RootElement;
            int? size = root.TryGetProperty("image_size", out var s) && s.TryGetInt32(out var si) ? si : null;
            double? cfg = root.TryGetProperty("guidance_scale", out var g) && g.TryGetDouble(out var gd) ? gd : null;
            return (size, cfg);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"'{manifest}' is not valid JSON ({e.Message}); fix or restore the model folder.", e);
        }
    }

    /// <summary>
    /// The ControlNet trained for condition <paramref name="conditionType"/> that a model folder ships, as listed in its
    /// manifest <c>controlnet-model.json</c> under <c>"controlnets": { "canny": "controlnet-canny.safetensors" }</c>
    /// (the toy model's layout, docs/training.md); an absolute path, or null when the folder lists none for the type.
    /// </summary>
    public static string? ControlNetInside(string baseModel, string conditionType)
    {
        var manifest = System.IO.Path.Combine(baseModel, "controlnet-model.json");
        if (!File.Exists(manifest)) return null;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(manifest));
            if (!doc.RootElement.TryGetProperty("controlnets", out var map) || map.ValueKind != System.Text.Json.JsonValueKind.Object) return null;
            foreach (var entry in map.EnumerateObject())
                if (string.Equals(entry.Name, conditionType, StringComparison.OrdinalIgnoreCase) && entry.Value.GetString() is { Length: > 0 } file)
                    return System.IO.Path.GetFullPath(file, baseModel);
            return null;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"'{manifest}' is not valid JSON ({e.Message}); fix or restore the model folder.", e);
        }
    }
}
