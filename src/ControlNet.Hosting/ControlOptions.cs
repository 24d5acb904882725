using ControlNet.Pipelines;

namespace ControlNet.Hosting;

/// <summary>
/// One ControlNet registered with <see cref="ControlNetBuilderExtensions.AddControl"/>: the weights to load under
/// <see cref="Key"/>, the condition plug-in whose preprocessor turns request inputs into condition maps, and the
/// control's settings (<see cref="ControlParameters"/>: preprocessor, options, strength, window, modes) that a request
/// without settings of its own uses. Configuration binds it flat (<c>Controls:0:Key</c>, <c>Controls:0:Strength</c>, …).
/// </summary>
public sealed record ControlOptions : ControlParameters
{
    /// <summary>The ControlNet's key in the pipeline and in requests, e.g. "canny".</summary>
    public string Key { get; init; } = "";

    /// <summary>ControlNet weights: a file, a diffusers folder or a Hugging Face id (e.g. lllyasviel/control_v11p_sd15_canny).</summary>
    public string Model { get; init; } = "";

    /// <summary>Condition plug-in id (see <c>controlnet plugins list</c>); null means the same as <see cref="Key"/>.</summary>
    public string? Plugin { get; init; }

    /// <summary>
    /// The ControlNet averages its residuals spatially (shuffle). Null: when <see cref="Model"/> is one of the plug-in's
    /// paired checkpoints marked so, or the pipeline detects it from the file.
    /// </summary>
    public bool? GlobalAveragePooling { get; init; }

    /// <summary>The name configuration files used for <see cref="ControlParameters.Options"/> before the settings were one type; binds to it.</summary>
    public IReadOnlyDictionary<string, string> PreprocessorOptions
    {
        get => Options;
        init => Options = value;
    }

    /// <summary>The condition plug-in id in effect.</summary>
    public string PluginId => string.IsNullOrWhiteSpace(Plugin) ? Key : Plugin;
}
