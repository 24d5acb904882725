using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>A (locked) diffusion U-Net, optionally steered by ControlNet residuals.</summary>
public interface IUNet
{
    UNetArchitecture Architecture { get; }

    /// <summary>Predicts the noise (REFERENCE §1.3, §2.2).</summary>
    /// <param name="x">[B, InChannels, h, w], any size (sides that are not multiples of <see cref="UNetArchitecture.SpatialDivisor"/> are upsampled to each skip's size, as diffusers does)</param>
    /// <param name="timesteps">[B] int64 or float</param>
    /// <param name="context">[B, T, ContextDim]</param>
    /// <param name="controlResiduals"><see cref="UNetArchitecture.ResidualCount"/> tensors: residual i is added to skip i before the
    /// concatenation, the last one to the middle block output.</param>
    /// <param name="onlyMidControl">use only the middle residual (LDM only_mid_control)</param>
    /// <param name="encoderAdditions"><see cref="UNetArchitecture.InputBlockCount"/> entries, null where nothing is added:
    /// entry i is added to input block i's output before it becomes skip i and feeds block i + 1 (T2I-Adapter; diffusers
    /// <c>down_intrablock_additional_residuals</c>, TencentARC's <c>features_adapter</c>).</param>
    /// <returns>[B, OutChannels, h, w]</returns>
    Tensor Forward(Tensor x, Tensor timesteps, Tensor context, IReadOnlyList<Tensor>? controlResiduals = null, bool onlyMidControl = false,
        IReadOnlyList<Tensor?>? encoderAdditions = null);
}
