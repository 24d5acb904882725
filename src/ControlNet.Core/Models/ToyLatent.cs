namespace ControlNet.Models;

/// <summary>
/// A tiny latent-space U-Net for tests and demos of latent training and generation: 4 latent channels and a hint encoder
/// that downsamples ×4, the pairing of <see cref="Autoencoders.AutoencoderConfig.Tiny"/> (factor 4). Same block layout as
/// <see cref="ToyUNet"/> otherwise.
/// </summary>
[UNetDescription(InChannels = 4, OutChannels = 4, ModelChannels = 32, ChannelMult = new[] { 1, 2, 2 }, NumResBlocks = 1,
    AttentionResolutions = new[] { 2, 4 }, NumHeads = 4, TransformerDepth = 1, ContextDim = 64, UseLinearProjection = false,
    HintChannels = 3, HintDownsampling = 4)]
public sealed partial class ToyLatentUNet;

/// <summary>ControlNet of <see cref="ToyLatentUNet"/>.</summary>
[ControlNetDescription(typeof(ToyLatentUNet))]
public sealed partial class ToyLatentControlNet;
