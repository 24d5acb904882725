using ControlNet.Abstractions;

namespace ControlNet.Conditions.Shuffle;

/// <summary>The content-shuffle condition; its checkpoint averages every control residual spatially.</summary>
public sealed class ShufflePlugin : ConditionPlugin
{
    public override string Id => "shuffle";
    public override string DisplayName => "Content shuffle";
    public override string Description => "The reference image's content, randomly shuffled, to transfer style and colours.";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = [new ShufflePreprocessor()];
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } =
    [
        new("control_v11e_sd15_shuffle", "huggingface.co/lllyasviel/ControlNet-v1-1", GlobalAveragePooling: true),
        new("lllyasviel/control_v11e_sd15_shuffle", "huggingface.co (diffusers)", GlobalAveragePooling: true),
    ];
}
