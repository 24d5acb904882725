namespace ControlNet.Pipelines;

/// <summary>
/// Every setting of one control, declared once: which preprocessor makes its condition map and with what options,
/// its strength, its window of the schedule, how its residuals are weighted, how the map is fitted to the output.
/// Each place that describes a control adds only what names the ControlNet and carries its input: the run file's
/// <c>RunControl</c> (plug-in id, image path, model), the DI registration <c>ControlOptions</c> (key, model, plug-in),
/// the request's <c>ControlInput</c> (key, input), the server's <c>JobControl</c> (model name, base64 image) and the
/// pipeline's <see cref="ControlSettings"/> (pipeline key, condition map). A new knob is one property here; every
/// layer, file format and binding picks it up, and each converts to the next with the record's copy constructor.
/// </summary>
public record ControlParameters
{
    /// <summary>The value of <see cref="Preprocessor"/> that skips preprocessing: the input already is the condition map.</summary>
    public const string NoPreprocessor = "none";

    static readonly IReadOnlyDictionary<string, string> NoOptions = new Dictionary<string, string>();

    /// <summary>Preprocessor id; null = the condition plug-in's first; <see cref="NoPreprocessor"/> when the input already is a condition map.</summary>
    public string? Preprocessor { get; init; }

    /// <summary>Preprocessor options as strings (names as in <c>controlnet plugins list</c>), e.g. {"low": "50"}.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = NoOptions;

    /// <summary>Scale of the control's residuals (T2I-Adapter: <c>adapter_conditioning_scale</c>); 0 or more, 1 is full strength.</summary>
    public double Strength { get; init; } = 1.0;

    /// <summary>First fraction of the schedule the control is active in (call i of N is in when Start ≤ i/N and (i+1)/N ≤ End).</summary>
    public double Start { get; init; }

    /// <summary>Last fraction of the schedule the control is active in.</summary>
    public double End { get; init; } = 1.0;

    /// <summary>A1111's control mode: balanced, prompt is more important, ControlNet is more important.</summary>
    public ControlMode Mode { get; init; } = ControlMode.Balanced;

    /// <summary>The paper's guess mode: control on the conditional pass only, with the variant's per-residual scales.</summary>
    public bool GuessMode { get; init; }

    public GuessModeVariant GuessModeVariant { get; init; } = GuessModeVariant.Original;

    /// <summary>The paper's CFG resolution weighting (§3.4).</summary>
    public CfgResolutionWeighting CfgResolutionWeighting { get; init; } = CfgResolutionWeighting.Off;

    /// <summary>How the condition map is fitted to the output size.</summary>
    public ResizeMode Resize { get; init; } = ResizeMode.CropAndResize;

    /// <summary>
    /// A1111 pixel perfect: the preprocessor's <c>detect-resolution</c> follows from the input image, the output size and
    /// <see cref="Resize"/> (<see cref="Pipelines.PixelPerfect"/>), overriding any given one, so the map is detected at
    /// the size it is used at. Preprocessors without that option are unaffected.
    /// </summary>
    public bool PixelPerfect { get; init; }
}
