namespace ControlNet.Models;

/// <summary>Stable Diffusion 2.1 U-Net (cldm_v21.yaml: linear projections, 64-channel heads, OpenCLIP context 1024).</summary>
[UNetDescription(InChannels = 4, OutChannels = 4, ModelChannels = 320, ChannelMult = new[] { 1, 2, 4, 4 }, NumResBlocks = 2,
    AttentionResolutions = new[] { 4, 2, 1 }, NumHeadChannels = 64, TransformerDepth = 1, ContextDim = 1024, UseLinearProjection = true,
    HintChannels = 3, HintDownsampling = 8)]
public sealed partial class Sd21UNet;

/// <summary>ControlNet for SD 2.1 (cldm_v21.yaml).</summary>
[ControlNetDescription(typeof(Sd21UNet))]
public sealed partial class Sd21ControlNet;
