using ControlNet.Abstractions;

namespace ControlNet.Pipelines;

/// <summary>Everything one generation needs; the defaults are the ControlNet apps' (REFERENCE §2.3, §6.2).</summary>
public sealed record GenerationSettings
{
    /// <summary>Longest prompt accepted (characters): about 50 CLIP chunks of 75 tokens; longer text is a mistake or an attack.</summary>
    public const int MaxPromptCharacters = 20_000;
    /// <summary>Most sampler steps accepted (the schedule has 1000 timesteps).</summary>
    public const int MaxSteps = 1000;

    public string Prompt { get; init; } = "";
    public string NegativePrompt { get; init; } = "";
    public int Width { get; init; } = 512;
    public int Height { get; init; } = 512;
    public int Steps { get; init; } = 20;
    /// <summary>A <see cref="ControlNet.Sampling.SamplerFactory"/> name (ddim, euler_a, dpmpp_2m_karras, lcm, …) or its A1111 name ("Euler a", "DPM++ 2M Karras").</summary>
    public string Sampler { get; init; } = "ddim";
    /// <summary>Classifier-free guidance scale; ≤ 1 runs the conditional pass only.</summary>
    public double GuidanceScale { get; init; } = 9.0;
    /// <summary>Batch item k starts from the noise of seed + k (A1111), so seed + k with batch 1 reproduces item k.</summary>
    public long Seed { get; init; } = 0;
    public int BatchSize { get; init; } = 1;
    /// <summary>DDIM η (0 = deterministic); used by the "ddim" sampler only.</summary>
    public double Eta { get; init; } = 0.0;
    public int ClipSkip { get; init; } = 1;
    public IReadOnlyList<ControlSettings> Controls { get; init; } = [];
    /// <summary>img2img: the image to start from (resized to Width × Height with the crop-and-resize rule).</summary>
    public ConditionImage? InitImage { get; init; }
    /// <summary>img2img: 0 returns the init image (through the autoencoder), 1 ignores it.</summary>
    public double DenoisingStrength { get; init; } = 0.75;
    /// <summary>Inpainting (needs <see cref="InitImage"/>): white = repaint, black = keep.</summary>
    public ConditionImage? Mask { get; init; }
    /// <summary>Attach a copy of the current latent to every progress report (for live previews); off by default.</summary>
    public bool ReportLatents { get; init; }
    /// <summary>
    /// Every this many model calls (and at the last), the progress report carries a preview image of the x̂0 estimate
    /// (<see cref="GenerationProgress.Preview"/>); 0 (default) = no previews. A TAESD preview costs one tiny decode per
    /// preview; the linear approximation next to nothing.
    /// </summary>
    public int PreviewEvery { get; init; }
    /// <summary>
    /// At least this long between two previews (the last call's always comes): a step that ends sooner makes none, so a
    /// host that shows previews at a fixed rate (the server: 200 ms) does not pay for decodes it would drop. Zero (default)
    /// = every <see cref="PreviewEvery"/> calls.
    /// </summary>
    public TimeSpan PreviewMinInterval { get; init; }
    /// <summary>LoRAs merged for this generation (and unmerged after it), besides the prompt's <c>&lt;lora:NAME:WEIGHT&gt;</c> tags.</summary>
    public IReadOnlyList<ControlNet.Adapters.LoraReference> Loras { get; init; } = [];
    /// <summary>Folders where LoRA names (prompt tags, --lora NAME) are looked up as NAME.safetensors / .pt.</summary>
    public IReadOnlyList<string> LoraFolders { get; init; } = [];
    /// <summary>Folders of A1111 textual-inversion embeddings (NAME.pt / NAME.safetensors); a NAME in a prompt uses that embedding.</summary>
    public IReadOnlyList<string> EmbeddingFolders { get; init; } = [];
    /// <summary>
    /// Called after every sampler step (diffusers <c>callback_on_step_end</c>): read or replace the latent, or stop the run
    /// (<see cref="StepEnd"/>). Runs after inpainting's paste-back and before the progress report.
    /// </summary>
    public Action<StepEnd>? OnStepEnd { get; init; }
}
