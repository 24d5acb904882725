using ControlNet.Models;
using static TorchSharp.torch;

namespace ControlNet.Pipelines;

/// <summary>
/// One condition adapter (ControlNet, T2I-Adapter, …) ready for sampling: its condition already encoded (once per
/// generation), its per-location scales, its branch and its window.
/// </summary>
/// <param name="Features">from <see cref="IConditionAdapter.EncodeCondition"/> with batch 1; the adapter expands them to the batch per call</param>
/// <param name="Scales">one factor per U-Net location (input blocks, then the middle block; strength included), see <see cref="ControlWeights.For"/></param>
/// <param name="ConditionalOnly">true: runs on the conditional half only; the unconditional half gets zero additions</param>
/// <param name="GlobalAveragePooling">each scaled addition is replaced by its mean over H and W (shuffle)</param>
/// <param name="Strength">the control's strength: the factor of context tokens (<see cref="UNetAdditions.ContextTokens"/>), which have no U-Net location</param>
public sealed record PreparedControl(
    string Key,
    IConditionAdapter Adapter,
    IReadOnlyList<Tensor> Features,
    IReadOnlyList<double> Scales,
    bool ConditionalOnly,
    bool GlobalAveragePooling,
    double Start,
    double End,
    double Strength = 1.0);
