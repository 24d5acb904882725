// TEMP: copied verbatim from notes/PIPELINE-API.md so the host compiles before the real pipeline lands.
// The lead drops this file (commit "TEMP pipeline API stub") when PIPE's branch is merged.
namespace ControlNet.Pipelines;

public enum ControlMode { Balanced, PromptIsMoreImportant, ControlNetIsMoreImportant }    // A1111 control modes
public enum GuessModeVariant { Original, Diffusers }   // 0.825^(12-i) + no ControlNet on uncond  |  logspace(-1,0,13) + zero residuals on uncond
public enum CfgResolutionWeighting { Off, Paper, Normalized }  // paper §3.4 w_i = 64/h_i on the cond branch only; Normalized: largest weight 1
public enum ResizeMode { JustResize, CropAndResize, ResizeAndFill }

public sealed record ControlSettings
{
    public required string ControlNet { get; init; }              // key of a ControlNet loaded into the pipeline
    public required ControlNet.Abstractions.ConditionImage Condition { get; init; }   // already preprocessed condition map
    public double Strength { get; init; } = 1.0;
    public double Start { get; init; } = 0.0;                     // fraction of the schedule
    public double End { get; init; } = 1.0;
    public ControlMode Mode { get; init; } = ControlMode.Balanced;
    public bool GuessMode { get; init; }                          // the paper's guess mode
    public GuessModeVariant GuessModeVariant { get; init; } = GuessModeVariant.Original;
    public CfgResolutionWeighting CfgResolutionWeighting { get; init; } = CfgResolutionWeighting.Off;
    public ResizeMode Resize { get; init; } = ResizeMode.CropAndResize;
}

public sealed record GenerationSettings
{
    public string Prompt { get; init; } = "";
    public string NegativePrompt { get; init; } = "";
    public int Width { get; init; } = 512;
    public int Height { get; init; } = 512;
    public int Steps { get; init; } = 20;
    public string Sampler { get; init; } = "ddim";
    public double GuidanceScale { get; init; } = 9.0;            // ControlNet apps' default (REFERENCE §2.3)
    public long Seed { get; init; } = 0;
    public int BatchSize { get; init; } = 1;
    public double Eta { get; init; } = 0.0;
    public int ClipSkip { get; init; } = 1;
    public IReadOnlyList<ControlSettings> Controls { get; init; } = [];
    public ControlNet.Abstractions.ConditionImage? InitImage { get; init; }   // img2img
    public double DenoisingStrength { get; init; } = 0.75;
    public ControlNet.Abstractions.ConditionImage? Mask { get; init; }        // inpainting: white = repaint
}

public sealed record GenerationProgress(int Step, int TotalSteps, double Timestep);
public sealed record GenerationResult(IReadOnlyList<ControlNet.Abstractions.ConditionImage> Images, IReadOnlyList<long> Seeds, TimeSpan Elapsed);

public interface IControlNetPipeline : IDisposable
{
    IReadOnlyCollection<string> ControlNets { get; }             // keys
    GenerationResult Generate(GenerationSettings settings, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default);
}

public sealed record PipelineOptions
{
    public required string BaseModel { get; init; }
    public IReadOnlyDictionary<string, string> ControlNets { get; init; } = new Dictionary<string, string>();
    public string? Tokenizer { get; init; }
    public string Device { get; init; } = "cpu";
    public string DType { get; init; } = "fp32";
    // As in PIPE's branch: keys of ControlNets that average their residuals spatially (shuffle), filled by the host.
    public IReadOnlyCollection<string> GlobalAveragePooling { get; init; } = [];
}

public static class ControlNetPipelineLoader
{
    public static IControlNetPipeline Load(PipelineOptions options, IProgress<string>? log = null) =>
        throw new NotImplementedException("TEMP stub: the real pipeline arrives with PIPE's branch.");
}
