using ControlNet.Abstractions;

namespace ControlNet.Pipelines;

/// <summary>One ControlNet's part in a generation: which model, its condition image and every knob.</summary>
public sealed record ControlSettings
{
    /// <summary>Key of a ControlNet loaded into the pipeline (<see cref="IControlNetPipeline.ControlNets"/>).</summary>
    public required string ControlNet { get; init; }
    /// <summary>The already preprocessed condition map (white on black, RGB or gray; a mask marks inpaint pixels as −1).</summary>
    public required ConditionImage Condition { get; init; }
    public double Strength { get; init; } = 1.0;
    /// <summary>First fraction of the schedule the ControlNet is active in (call i of N is in when Start ≤ i/N and (i+1)/N ≤ End).</summary>
    public double Start { get; init; } = 0.0;
    /// <summary>Last fraction of the schedule the ControlNet is active in.</summary>
    public double End { get; init; } = 1.0;
    public ControlMode Mode { get; init; } = ControlMode.Balanced;
    /// <summary>The paper's guess mode: control on the conditional pass only, with the variant's per-residual scales.</summary>
    public bool GuessMode { get; init; }
    public GuessModeVariant GuessModeVariant { get; init; } = GuessModeVariant.Original;
    public CfgResolutionWeighting CfgResolutionWeighting { get; init; } = CfgResolutionWeighting.Off;
    public ResizeMode Resize { get; init; } = ResizeMode.CropAndResize;
}
