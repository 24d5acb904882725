using ControlNet.Models;
using static TorchSharp.torch;

namespace ControlNet.Pipelines;

/// <summary>
/// One ControlNet ready for sampling: its hint already encoded (once per generation), its per-residual scales,
/// its branch and its window.
/// </summary>
/// <param name="HintFeatures">[1, ModelChannels, h, w] from <see cref="IControlNet.EncodeHint"/>; expanded to the batch per call</param>
/// <param name="Scales">one factor per residual (strength included), see <see cref="ControlWeights.For"/></param>
/// <param name="ConditionalOnly">true: runs on the conditional half only; the unconditional half gets zero residuals</param>
/// <param name="GlobalAveragePooling">each scaled residual is replaced by its mean over H and W (shuffle)</param>
public sealed record PreparedControl(
    string Key,
    IControlNet Model,
    Tensor HintFeatures,
    IReadOnlyList<double> Scales,
    bool ConditionalOnly,
    bool GlobalAveragePooling,
    double Start,
    double End);
