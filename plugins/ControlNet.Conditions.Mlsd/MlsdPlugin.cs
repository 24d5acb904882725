using ControlNet.Abstractions;

namespace ControlNet.Conditions.Mlsd;

/// <summary>The M-LSD condition: straight line segments, white on black (architecture, interiors).</summary>
public sealed class MlsdPlugin : ConditionPlugin
{
    public override string Id => "mlsd";
    public override string DisplayName => "M-LSD straight lines";
    public override string Description => "Straight line segments detected in a photo; 1-pixel white lines on black.";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = [new MlsdPreprocessor()];
    public override IReadOnlyList<ModelFile> ModelFiles { get; } = [MlsdPreprocessor.Weights];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("control_v11p_sd15_mlsd", "huggingface.co/lllyasviel/ControlNet-v1-1"),
        new("lllyasviel/control_v11p_sd15_mlsd", "huggingface.co (diffusers)"),
        new("control_sd15_mlsd", "huggingface.co/lllyasviel/ControlNet"),
        new("lllyasviel/sd-controlnet-mlsd", "huggingface.co (diffusers)"),
    ];
}
