using ControlNet.Pipelines;

namespace ControlNet.Hosting;

/// <summary>
/// One ControlNet registered with <see cref="ControlNetBuilderExtensions.AddControl"/>: the weights to load under
/// <see cref="Key"/>, the condition plug-in whose preprocessor turns request inputs into condition maps, and the
/// defaults a request may override. Mutable only while the host is configured.
/// </summary>
public sealed class ControlOptions
{
    /// <summary>The ControlNet's key in the pipeline and in requests, e.g. "canny".</summary>
    public string Key { get; set; } = "";

    /// <summary>ControlNet weights: a file, a diffusers folder or a Hugging Face id (e.g. lllyasviel/control_v11p_sd15_canny).</summary>
    public string Model { get; set; } = "";

    /// <summary>Condition plug-in id (see <c>controlnet plugins list</c>); null means the same as <see cref="Key"/>.</summary>
    public string? Plugin { get; set; }

    /// <summary>Preprocessor id; null means the plug-in's first; <see cref="NoPreprocessor"/> when inputs already are condition maps.</summary>
    public string? Preprocessor { get; set; }

    /// <summary>The value of <see cref="Preprocessor"/> that skips preprocessing (CLI <c>pre=none</c>).</summary>
    public const string NoPreprocessor = "none";

    /// <summary>Preprocessor options as strings (names as in <c>controlnet plugins list</c>); a request's options override them.</summary>
    public Dictionary<string, string> PreprocessorOptions { get; } = new(StringComparer.OrdinalIgnoreCase);

    public double Strength { get; set; } = 1.0;
    public double Start { get; set; } = 0.0;
    public double End { get; set; } = 1.0;
    public ControlMode Mode { get; set; } = ControlMode.Balanced;
    public bool GuessMode { get; set; }
    public GuessModeVariant GuessModeVariant { get; set; } = GuessModeVariant.Original;
    public CfgResolutionWeighting CfgResolutionWeighting { get; set; } = CfgResolutionWeighting.Off;
    public ResizeMode Resize { get; set; } = ResizeMode.CropAndResize;

    /// <summary>
    /// A1111 pixel perfect: the preprocessor's <c>detect-resolution</c> is derived from the input image, the output size and
    /// <see cref="Resize"/> (<see cref="Pipelines.PixelPerfect"/>), overriding any given one, so the map is detected at the
    /// size it is used at. Preprocessors without that option are unaffected.
    /// </summary>
    public bool PixelPerfect { get; set; }

    /// <summary>
    /// The ControlNet averages its residuals spatially (shuffle). Null: when <see cref="Model"/> is one of the plug-in's
    /// paired checkpoints marked so, or the pipeline detects it from the file.
    /// </summary>
    public bool? GlobalAveragePooling { get; set; }

    /// <summary>The condition plug-in id in effect.</summary>
    public string PluginId => string.IsNullOrWhiteSpace(Plugin) ? Key : Plugin;
}
