using ControlNet.Abstractions;

namespace ControlNet.Conditions.Lineart;

/// <summary>The lineart condition (ControlNet 1.1): white lines on black, from a line-drawing estimator.</summary>
public sealed class LineartPlugin : ConditionPlugin
{
    public override string Id => "lineart";
    public override string DisplayName => "Lineart";
    public override string Description => "Line drawings estimated from a photo (realistic, coarse) or an anime picture; white lines on black.";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = [new LineartPreprocessor(), new LineartPreprocessor(coarse: true), new LineartAnimePreprocessor()];
    public override IReadOnlyList<ModelFile> ModelFiles { get; } = [LineartPreprocessor.Realistic, LineartPreprocessor.Coarse, LineartAnimePreprocessor.Weights];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("control_v11p_sd15_lineart", "huggingface.co/lllyasviel/ControlNet-v1-1"),
        new("lllyasviel/control_v11p_sd15_lineart", "huggingface.co (diffusers)"),
        // lineart-anime's (trained with clip skip 2 on an anime base model, Anything v3 in the reference app).
        new("control_v11p_sd15s2_lineart_anime", "huggingface.co/lllyasviel/ControlNet-v1-1"),
        new("lllyasviel/control_v11p_sd15s2_lineart_anime", "huggingface.co (diffusers)"),
    ];
}
