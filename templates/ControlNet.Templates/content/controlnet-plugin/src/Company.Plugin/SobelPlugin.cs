using ControlNet.Abstractions;

namespace Company.Plugin;

/// <summary>
/// The condition type. The host creates every public non-abstract <see cref="IConditionPlugin"/> of this assembly with
/// its parameterless constructor; <see cref="ConditionPlugin"/> supplies the contract version this plug-in was
/// compiled against (the host refuses an incompatible one).
/// </summary>
public sealed class SobelPlugin : ConditionPlugin
{
    public override string Id => "sobel";
    public override string DisplayName => "Sobel edges";
    public override string Description => "Edge strength from a 3×3 Sobel filter on the image's luma.";
    public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = [new SobelPreprocessor()];

    /// <summary>The checkpoint layout's hint encoder (input_hint_block) reading a 3-channel map; override with HintEncoderSpec.Custom for your own.</summary>
    public override HintEncoderSpec HintEncoder { get; } = new HintEncoderSpec.Standard(InputChannels: 3);

    /// <summary>No ControlNet is trained on this condition yet: list yours here once it is.</summary>
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } = [];
}
