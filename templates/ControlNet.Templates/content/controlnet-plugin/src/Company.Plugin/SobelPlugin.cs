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

    /// <summary>
    /// The plug-in's own hint encoder (<see cref="SobelHintEncoder"/>) reading the 3-channel edge map, weights under
    /// "sobel_hint.*" in the ControlNet file. A ControlNet for this condition is trained with it
    /// (`controlnet train --condition sobel`). To pair the condition with public checkpoints instead, which all use the
    /// released code's encoder, return <c>new HintEncoderSpec.Standard(InputChannels: 3)</c>; the paper's 4-conv encoder
    /// is <c>new HintEncoderSpec.Paper(3)</c>.
    /// </summary>
    public override HintEncoderSpec HintEncoder { get; } = new HintEncoderSpec.Custom("sobel_hint", 3, request => new SobelHintEncoder(request));

    /// <summary>No ControlNet is trained on this condition yet: list yours here once it is.</summary>
    public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } = [];
}
