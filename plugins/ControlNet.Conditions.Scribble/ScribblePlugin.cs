using ControlNet.Abstractions;

namespace ControlNet.Conditions.Scribble;

/// <summary>The scribble condition: user scribbles, or fake scribbles from an edge map.</summary>
public sealed class ScribblePlugin : ConditionPlugin
{
    public override string Id => "scribble";
    public override string DisplayName => "Scribble";
    public override string Description => "White-on-black hand-drawn strokes.";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = [new ScribblePreprocessor(), new FakeScribblePreprocessor(), new HedScribblePreprocessor(), new PidiNetScribblePreprocessor()];
    public override IReadOnlyList<ModelFile> ModelFiles { get; } =
        [ControlNet.Conditions.SoftEdge.HedPreprocessor.Weights, ControlNet.Conditions.SoftEdge.PidiNetPreprocessor.Weights];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("control_v11p_sd15_scribble", "huggingface.co/lllyasviel/ControlNet-v1-1"),
        new("lllyasviel/control_v11p_sd15_scribble", "huggingface.co (diffusers)"),
        new("control_sd15_scribble", "huggingface.co/lllyasviel/ControlNet"),
        new("lllyasviel/sd-controlnet-scribble", "huggingface.co (diffusers)"),
    ];
}
