namespace ControlNet.Models;

/// <summary>
/// A tiny pixel-space U-Net (latent = image, so HintDownsampling = 1) for training demos on 32–64 px synthetic images:
/// 32 channels, levels ×[1, 2, 2], attention at the two lower-resolution levels, 4 heads, context 64.
/// </summary>
[UNetDescription(InChannels = 3, OutChannels = 3, ModelChannels = 32, ChannelMult = new[] { 1, 2, 2 }, NumResBlocks = 1,
    AttentionResolutions = new[] { 2, 4 }, NumHeads = 4, TransformerDepth = 1, ContextDim = 64, UseLinearProjection = false,
    HintChannels = 3, HintDownsampling = 1)]
public sealed partial class ToyUNet;

/// <summary>ControlNet of <see cref="ToyUNet"/>.</summary>
[ControlNetDescription(typeof(ToyUNet))]
public sealed partial class ToyControlNet;
