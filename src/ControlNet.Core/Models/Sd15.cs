namespace ControlNet.Models;

/// <summary>Stable Diffusion 1.5 U-Net (<c>unet_config</c> of CN models/cldm_v15.yaml; REFERENCE §1.1).</summary>
[UNetDescription(InChannels = 4, OutChannels = 4, ModelChannels = 320, ChannelMult = new[] { 1, 2, 4, 4 }, NumResBlocks = 2,
    AttentionResolutions = new[] { 4, 2, 1 }, NumHeads = 8, TransformerDepth = 1, ContextDim = 768, UseLinearProjection = false,
    HintChannels = 3, HintDownsampling = 8)]
public sealed partial class Sd15UNet;

/// <summary>ControlNet for SD 1.5 (<c>control_stage_config</c> of cldm_v15.yaml; REFERENCE §2.1).</summary>
[ControlNetDescription(typeof(Sd15UNet))]
public sealed partial class Sd15ControlNet;
