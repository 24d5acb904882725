using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>The trainable copy of a U-Net encoder joined by zero convolutions (Zhang et al. 2023, §3.2).</summary>
/// <remarks>As a <see cref="IConditionAdapter"/> it encodes the condition with its hint encoder and returns its residuals,
/// one per input block plus the middle block (<see cref="UNetAdditions.Residuals"/>).</remarks>
public interface IControlNet : IConditionAdapter
{
    UNetArchitecture Architecture { get; }

    /// <summary>Runs <c>input_hint_block</c>: [B, HintChannels, h·D, w·D] → [B, ModelChannels, h, w] with D = HintDownsampling.
    /// Call once per generation; the result does not depend on the timestep.</summary>
    Tensor EncodeHint(Tensor hint);

    /// <summary>The control residuals: zero-conv outputs of every input block, then <c>middle_block_out</c>.
    /// <paramref name="hintFeatures"/> (from <see cref="EncodeHint"/>) is added after input block 0, before zero conv 0.</summary>
    IReadOnlyList<Tensor> Forward(Tensor x, Tensor hintFeatures, Tensor timesteps, Tensor context);

    /// <summary>Convenience: <see cref="EncodeHint"/> then <see cref="Forward"/>.</summary>
    IReadOnlyList<Tensor> ForwardWithHint(Tensor x, Tensor hint, Tensor timesteps, Tensor context);

    string IConditionAdapter.Kind => "ControlNet";

    int IConditionAdapter.ConditionChannels => Architecture.HintChannels;

    int IConditionAdapter.ConditionDownsampling => Architecture.HintDownsampling;

    string? IConditionAdapter.Mismatch(UNetArchitecture unet)
    {
        var a = Architecture;
        return a.ResidualCount != unet.ResidualCount || a.ModelChannels != unet.ModelChannels || a.ContextDim != unet.ContextDim || !a.ChannelMult.SequenceEqual(unet.ChannelMult)
            ? $"it is for another base architecture ({a.ResidualCount} residuals, {a.ModelChannels} channels, context {a.ContextDim}) than the U-Net ({unet.ResidualCount}, {unet.ModelChannels}, {unet.ContextDim}); load a ControlNet trained on this base model"
            : null;
    }

    IReadOnlyList<Tensor> IConditionAdapter.EncodeCondition(Tensor condition) => [EncodeHint(condition)];

    UNetAdditions IConditionAdapter.Additions(IReadOnlyList<Tensor> features, Tensor x, Tensor timesteps, Tensor context) =>
        new(Forward(x, features[0].expand(x.shape[0], -1, -1, -1), timesteps, context), null);
}
