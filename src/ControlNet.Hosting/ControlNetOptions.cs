using ControlNet.Models.HintEncoders;
using ControlNet.Pipelines;

namespace ControlNet.Hosting;

/// <summary>
/// Everything <c>services.AddControlNet(o => …)</c> configures: the base model, where it runs, the sampler defaults
/// requests start from, the ControlNets to load and where condition plug-ins are found. Validated when the host starts
/// (<see cref="ControlNetOptionsValidator"/>).
/// </summary>
public sealed class ControlNetOptions
{
    /// <summary>Base model: a checkpoint file, a diffusers folder, a Hugging Face id, or (default) the shipped toy model.</summary>
    public string BaseModel { get; set; } = DefaultModel.Path;

    /// <summary>A folder with vocab.json + merges.txt, for single-file models that carry no tokenizer.</summary>
    public string? Tokenizer { get; set; }

    /// <summary>"cpu", "cuda" or "cuda:N"; every ControlNet runs on this device with the base model.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>"fp32", "fp16" or "bf16".</summary>
    public string DType { get; set; } = "fp32";

    /// <summary>Weight storage: "fp32" (default), or "fp16" / "bf16" with fp32 compute (<see cref="PipelineOptions.WeightsDType"/>).</summary>
    public string WeightsDType { get; set; } = "fp32";

    /// <summary>
    /// Keep (default: every network stays loaded, as a server answering the next request wants) or Release: read each
    /// network only for its phase of a generation (<see cref="PipelineOptions.MemoryPolicy"/>).
    /// </summary>
    public MemoryPolicy MemoryPolicy { get; set; } = MemoryPolicy.Keep;

    /// <summary>Null = the base model's VAE, or <c>taesd:PATH</c> (<see cref="PipelineOptions.Vae"/>).</summary>
    public string? Vae { get; set; }

    /// <summary>Live-preview decoder: null = TAESD when <see cref="Vae"/> is TAESD, else the linear approximation; <c>taesd:PATH</c> (<see cref="PipelineOptions.Preview"/>).</summary>
    public string? Preview { get; set; }

    /// <summary>The CLIP vision model T2I style adapters read their image with (<see cref="PipelineOptions.ClipVision"/>).</summary>
    public string? ClipVision { get; set; }

    /// <summary>
    /// Defaults for requests: size, steps, sampler, guidance scale, eta, negative prompt, clip skip, denoising strength.
    /// Prompt, seed, controls and images always come from the request.
    /// </summary>
    public GenerationSettings Defaults { get; set; } = new();

    /// <summary>The ControlNets, by key (<see cref="ControlNetBuilderExtensions.AddControl"/>).</summary>
    public List<ControlOptions> Controls { get; } = [];

    /// <summary>Extra plug-in folders (absolute; one subfolder per plug-in), see <see cref="ControlNetBuilderExtensions.AddPlugins"/>.</summary>
    public List<string> PluginFolders { get; } = [];

    /// <summary>Also scan the built-in folder next to the application and $CONTROLNET_HOME/plugins (default true).</summary>
    public bool UseDefaultPluginFolders { get; set; } = true;

    /// <summary>Folder with annotator weights (ControlNetHED.pth, …) for neural preprocessors; the Hugging Face cache of lllyasviel/Annotators is searched after it.</summary>
    public string? AnnotatorPath { get; set; }

    /// <summary>Download a missing annotator weight file from the Hub into its cache (default false: no surprise downloads).</summary>
    public bool DownloadAnnotators { get; set; }

    /// <summary>Where neural preprocessors find their weights under these options (<see cref="AnnotatorPath"/>, the hub cache, <see cref="DownloadAnnotators"/>).</summary>
    public Annotators.AnnotatorFiles Annotators() => new(new Annotators.AnnotatorFileOptions { Folder = AnnotatorPath, Download = DownloadAnnotators });

    /// <summary>The control registered under <paramref name="key"/>, or null.</summary>
    public ControlOptions? FindControl(string key) =>
        Controls.FirstOrDefault(c => string.Equals(c.Key, key, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// What the pipeline loader needs: base model, ControlNets by key, tokenizer, device, dtype, and which ControlNets
    /// average their residuals (from <see cref="ControlOptions.GlobalAveragePooling"/> or the plug-ins' paired checkpoints), and
    /// the hint encoders of plug-ins that bring their own (<see cref="Abstractions.IConditionPlugin.HintEncoder"/>).
    /// </summary>
    public PipelineOptions ToPipelineOptions(IEnumerable<Abstractions.IConditionPlugin>? plugins = null) => new()
    {
        BaseModel = BaseModel,
        ControlNets = Controls.ToDictionary(c => c.Key, c => c.Model, StringComparer.OrdinalIgnoreCase),
        Tokenizer = Tokenizer,
        Device = Device,
        DType = DType,
        WeightsDType = WeightsDType,
        MemoryPolicy = MemoryPolicy,
        Vae = Vae,
        Preview = Preview,
        ClipVision = ClipVision,
        GlobalAveragePooling = Controls.Where(c => c.GlobalAveragePooling ?? PairedWithPooling(c, plugins)).Select(c => c.Key).ToArray(),
        HintEncoders = Controls.Select(c => (c.Key, Plugin: plugins?.FirstOrDefault(p => string.Equals(p.Id, c.PluginId, StringComparison.OrdinalIgnoreCase))))
            .Where(c => c.Plugin is not null && c.Plugin.HintEncoder is not Abstractions.HintEncoderSpec.Standard)
            .ToDictionary(c => c.Key, c => HintEncoderChoice.FromPlugin(c.Plugin!), StringComparer.OrdinalIgnoreCase),
    };

    // "lllyasviel/control_v11e_sd15_shuffle", ".../control_v11e_sd15_shuffle.pth" and the bare name all match the paired checkpoint.
    static bool PairedWithPooling(ControlOptions c, IEnumerable<Abstractions.IConditionPlugin>? plugins)
    {
        var plugin = plugins?.FirstOrDefault(p => string.Equals(p.Id, c.PluginId, StringComparison.OrdinalIgnoreCase));
        if (plugin is null) return false;
        var model = c.Model.TrimEnd('/', '\\');
        var stem = Path.GetFileNameWithoutExtension(model);
        return plugin.Checkpoints.Any(k => k.GlobalAveragePooling &&
            (string.Equals(model, k.Name, StringComparison.OrdinalIgnoreCase) || string.Equals(stem, Path.GetFileName(k.Name), StringComparison.OrdinalIgnoreCase)));
    }
}
