using ControlNet.Abstractions;
using ControlNet.Pipelines;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// A network that steers a locked U-Net from a condition image: a ControlNet, a T2I-Adapter, or a plug-in's own. The
/// condition is encoded once per generation; at each model call the adapter returns what it adds where
/// (<see cref="UNetAdditions"/>). Strength, window, guess mode / control modes / CFG resolution weighting, the
/// conditional-only branch and summing several adapters are the denoiser's, the same for every kind: each tensor the
/// adapter returns for location i is multiplied by the control's scale i (docs/generation.md).
/// </summary>
public interface IConditionAdapter
{
    /// <summary>What kind of adapter this is ("ControlNet", "T2I-Adapter"), for messages.</summary>
    string Kind { get; }

    /// <summary>Channels of the condition tensor <see cref="EncodeCondition"/> takes (3 for RGB maps, 1 for gray ones).</summary>
    int ConditionChannels { get; }

    /// <summary>Condition pixels per latent pixel: the condition is fitted to the latent size times this (8 for SD).</summary>
    int ConditionDownsampling { get; }

    /// <summary>
    /// True when the adapter's additions are tokens appended to the cross-attention context
    /// (<see cref="UNetAdditions.ContextTokens"/>: the T2I style adapter) rather than features or residuals. The denoiser
    /// appends those first, so the other adapters and the U-Net see the extended context (A1111's order).
    /// </summary>
    bool AddsContextTokens => false;

    /// <summary>Why this adapter cannot steer a U-Net of architecture <paramref name="unet"/>, or null when it can.</summary>
    string? Mismatch(UNetArchitecture unet);

    /// <summary>
    /// The condition tensor <see cref="EncodeCondition"/> takes, made from the condition map for an output whose
    /// condition size is <paramref name="width"/> × <paramref name="height"/> (latent size × <see cref="ConditionDownsampling"/>).
    /// Default: the map fitted to that size with <paramref name="resize"/>; an adapter with its own image preprocessing
    /// (the style adapter: CLIP's) overrides it.
    /// </summary>
    Tensor ConditionTensor(ConditionImage image, int width, int height, ResizeMode resize) =>
        ImageFitting.ConditionTensor(image, width, height, resize, ConditionChannels);

    /// <summary>Encodes the condition [1, ConditionChannels, h·D, w·D] in [0, 1] (D = <see cref="ConditionDownsampling"/>);
    /// called once per generation, the features do not depend on the step.</summary>
    IReadOnlyList<Tensor> EncodeCondition(Tensor condition);

    /// <summary>What the adapter adds to the U-Net forward with inputs <paramref name="x"/> [n, C, h, w],
    /// <paramref name="timesteps"/> [n], <paramref name="context"/> [n, T, D]; <paramref name="features"/> come from
    /// <see cref="EncodeCondition"/> with batch 1 and are expanded to n here. Unscaled: the caller applies the scales.</summary>
    UNetAdditions Additions(IReadOnlyList<Tensor> features, Tensor x, Tensor timesteps, Tensor context);
}
