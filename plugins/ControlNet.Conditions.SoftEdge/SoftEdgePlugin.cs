using ControlNet.Abstractions;

namespace ControlNet.Conditions.SoftEdge;

/// <summary>The soft-edge condition (ControlNet 1.1 softedge, 1.0 hed): white edges of varying strength on black.</summary>
public sealed class SoftEdgePlugin : ConditionPlugin
{
    public override string Id => "softedge";
    public override string DisplayName => "Soft edge (HED, PiDiNet)";
    public override string Description => "Soft edges estimated from a photo by HED or PiDiNet; white on black.";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } =
        [new HedPreprocessor(), new HedPreprocessor(safe: true), new PidiNetPreprocessor(), new PidiNetPreprocessor(safe: true)];
    public override IReadOnlyList<ModelFile> ModelFiles { get; } = [HedPreprocessor.Weights, PidiNetPreprocessor.Weights];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("control_v11p_sd15_softedge", "huggingface.co/lllyasviel/ControlNet-v1-1"),
        new("lllyasviel/control_v11p_sd15_softedge", "huggingface.co (diffusers)"),
        new("control_sd15_hed", "huggingface.co/lllyasviel/ControlNet"),
        new("lllyasviel/sd-controlnet-hed", "huggingface.co (diffusers)"),
    ];
}
