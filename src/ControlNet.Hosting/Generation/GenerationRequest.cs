using ControlNet.Abstractions;

namespace ControlNet.Hosting.Generation;

/// <summary>
/// One generation asked of <see cref="IGenerationService"/>. Null values take the host's defaults
/// (<see cref="ControlNetOptions.Defaults"/>); controls refer to ControlNets registered by key and carry their inputs,
/// which the registered plug-in preprocesses unless told otherwise. Immutable: a queued request cannot change.
/// </summary>
public sealed record GenerationRequest
{
    public string Prompt { get; init; } = "";
    public string? NegativePrompt { get; init; }
    public int? Width { get; init; }
    public int? Height { get; init; }
    public int? Steps { get; init; }
    public string? Sampler { get; init; }
    public double? GuidanceScale { get; init; }
    public long Seed { get; init; }
    public int BatchSize { get; init; } = 1;
    public double? Eta { get; init; }
    public IReadOnlyList<ControlInput> Controls { get; init; } = [];
    /// <summary>img2img: the image to start from.</summary>
    public ConditionImage? InitImage { get; init; }
    /// <summary>img2img: how much of the init image is noised away (0–1).</summary>
    public double? DenoisingStrength { get; init; }
    /// <summary>Inpainting: white = repaint.</summary>
    public ConditionImage? Mask { get; init; }
    /// <summary>LoRAs merged for this request (files or names in <see cref="LoraFolders"/>), besides the prompt's &lt;lora:NAME:WEIGHT&gt; tags.</summary>
    public IReadOnlyList<ControlNet.Adapters.LoraReference> Loras { get; init; } = [];
    /// <summary>Where LoRA names are looked up (NAME.safetensors / .pt).</summary>
    public IReadOnlyList<string> LoraFolders { get; init; } = [];
    /// <summary>Folders of textual-inversion embeddings; a file's name in the prompt uses it.</summary>
    public IReadOnlyList<string> EmbeddingFolders { get; init; } = [];
    /// <summary>Live previews every this many steps in the progress reports (<see cref="Pipelines.GenerationSettings.PreviewEvery"/>); 0 = none.</summary>
    public int PreviewEvery { get; init; }

    /// <summary>
    /// The request's values over <paramref name="defaults"/>, without the controls (making their maps needs the
    /// preprocessors: <see cref="IGenerationService.Resolve"/> does both). Lets a host check a request before any model loads.
    /// </summary>
    public Pipelines.GenerationSettings Over(Pipelines.GenerationSettings defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var d = defaults;
        return d with
        {
            Prompt = Prompt ?? "",
            NegativePrompt = NegativePrompt ?? d.NegativePrompt,
            Width = Width ?? d.Width,
            Height = Height ?? d.Height,
            Steps = Steps ?? d.Steps,
            Sampler = Sampler ?? d.Sampler,
            GuidanceScale = GuidanceScale ?? d.GuidanceScale,
            Seed = Seed,
            BatchSize = BatchSize,
            Eta = Eta ?? d.Eta,
            InitImage = InitImage,
            DenoisingStrength = DenoisingStrength ?? d.DenoisingStrength,
            Mask = Mask,
            Loras = Loras,
            LoraFolders = LoraFolders,
            EmbeddingFolders = EmbeddingFolders,
            PreviewEvery = PreviewEvery,
            Controls = [],
        };
    }
}

/// <summary>
/// The input for one registered ControlNet and, optionally, its settings for this request. The settings are the one
/// control-settings record (<see cref="Pipelines.ControlParameters"/>) and are taken whole, not field by field: null
/// takes the registration's (<see cref="ControlOptions"/>, e.g. <c>AddCanny(strength: 0.8)</c>); given, they replace
/// them, except that a null <see cref="Pipelines.ControlParameters.Preprocessor"/> keeps the registration's and the
/// options are laid over the registration's. Start from <see cref="IGenerationService"/>'s registration to change one
/// knob: <c>options.FindControl("canny") with { Strength = 0.5 }</c>.
/// </summary>
public sealed record ControlInput
{
    /// <summary>The key given to AddControl.</summary>
    public required string Control { get; init; }
    /// <summary>What the preprocessor reads (an image, or file bytes such as OpenPose JSON), or the condition map itself when the preprocessor is "none".</summary>
    public required PreprocessorSource Source { get; init; }
    /// <summary>This request's settings of the control; null = the registration's.</summary>
    public Pipelines.ControlParameters? Settings { get; init; }

    /// <summary>An image for the control registered as <paramref name="control"/>, with the registration's settings.</summary>
    public static ControlInput From(string control, ConditionImage image) => new() { Control = control, Source = PreprocessorSource.From(image) };
}
