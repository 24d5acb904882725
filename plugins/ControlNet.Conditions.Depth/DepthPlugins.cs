using ControlNet.Abstractions;

namespace ControlNet.Conditions.Depth;

/// <summary>The depth condition (near = bright): MiDaS on a photo, or a depth image you already have.</summary>
public sealed class DepthPlugin : ConditionPlugin
{
    public override string Id => "depth";
    public override string DisplayName => "Depth";
    public override string Description => "Relative depth, near = bright: estimated from a photo by MiDaS DPT-Hybrid (depth), or a ready depth image (depth-image).";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = [new MidasDepthPreprocessor(), new DepthImagePreprocessor()];
    public override IReadOnlyList<ModelFile> ModelFiles { get; } = [MidasDepthEstimator.Weights];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("control_v11f1p_sd15_depth", "huggingface.co/lllyasviel/ControlNet-v1-1"),
        new("lllyasviel/control_v11f1p_sd15_depth", "huggingface.co (diffusers)"),
        new("control_sd15_depth", "huggingface.co/lllyasviel/ControlNet"),
        new("lllyasviel/sd-controlnet-depth", "huggingface.co (diffusers)"),
    ];
}

/// <summary>The v1.0 normal-map condition derived from depth (not v1.1's normalbae, which uses another convention).</summary>
public sealed class NormalPlugin : ConditionPlugin
{
    public override string Id => "normal";
    public override string DisplayName => "Normal map (from depth)";
    public override string Description => "Surface normals from depth gradients, as ControlNet 1.0's normal model was trained: from a photo via MiDaS (normal), or from a ready depth image (normal-image).";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = [new MidasNormalPreprocessor(), new NormalImagePreprocessor()];
    public override IReadOnlyList<ModelFile> ModelFiles { get; } = [MidasDepthEstimator.Weights];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("control_sd15_normal", "huggingface.co/lllyasviel/ControlNet"),
        new("lllyasviel/sd-controlnet-normal", "huggingface.co (diffusers)"),
    ];
}
