using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// What condition adapters add to one U-Net forward, by place. Both lists are indexed by U-Net location: location i &lt;
/// <see cref="UNetArchitecture.InputBlockCount"/> is input block i, the last residual location is the middle block.
/// </summary>
/// <param name="Residuals">ControlNet: <see cref="UNetArchitecture.ResidualCount"/> tensors; residual i is added to skip i only
/// (not to the encoder path), the last one to the middle block output (REFERENCE §2.2); null when none</param>
/// <param name="EncoderFeatures">T2I-Adapter: <see cref="UNetArchitecture.InputBlockCount"/> entries, null where nothing is added;
/// feature i is added to input block i's output, so it flows on through the encoder and into skip i (diffusers
/// <c>down_intrablock_additional_residuals</c>); null when none</param>
/// <param name="ContextTokens">T2I style adapter: [n, K, D] tokens appended to the cross-attention context after the text
/// (TencentARC <c>append_to_context</c>), seen by every cross-attention layer; null when none</param>
public sealed record UNetAdditions(IReadOnlyList<Tensor>? Residuals, IReadOnlyList<Tensor?>? EncoderFeatures, Tensor? ContextTokens = null)
{
    public static UNetAdditions None { get; } = new(null, null);
}
