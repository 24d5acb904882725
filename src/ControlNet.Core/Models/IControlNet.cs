using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>The trainable copy of a U-Net encoder joined by zero convolutions (Zhang et al. 2023, §3.2).</summary>
public interface IControlNet
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
}
