using ControlNet.Abstractions;

namespace ControlNet.Conditions.Canny;

/// <summary>The Canny edge condition (REFERENCE §9).</summary>
public sealed class CannyPlugin : ConditionPlugin
{
    public override string Id => "canny";
    public override string DisplayName => "Canny edges";
    public override string Description => "Edges from OpenCV's Canny detector on the RGB image.";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = [new CannyPreprocessor()];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("control_v11p_sd15_canny", "huggingface.co/lllyasviel/ControlNet-v1-1"),
        new("lllyasviel/control_v11p_sd15_canny", "huggingface.co (diffusers)"),
        new("control_sd15_canny", "huggingface.co/lllyasviel/ControlNet"),
        new("lllyasviel/sd-controlnet-canny", "huggingface.co (diffusers)"),
    ];
}
