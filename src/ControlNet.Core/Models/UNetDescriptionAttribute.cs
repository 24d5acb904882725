namespace ControlNet.Models;

/// <summary>
/// Declares a U-Net: put it on a <c>partial class</c> and the ControlNet.Generators source generator emits a TorchSharp
/// module whose parameter names are the LDM checkpoint keys. Values are those of the LDM <c>unet_config</c>.
/// Required: InChannels, OutChannels, ModelChannels, ChannelMult, NumResBlocks, AttentionResolutions, ContextDim and
/// exactly one of NumHeads / NumHeadChannels. See docs/architecture.md.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class UNetDescriptionAttribute : Attribute
{
    public int InChannels { get; set; }
    public int OutChannels { get; set; }
    public int ModelChannels { get; set; }
    public int[] ChannelMult { get; set; } = Array.Empty<int>();
    public int NumResBlocks { get; set; }
    /// <summary>Downsampling factors ("ds") at which blocks get a SpatialTransformer; SD: [4, 2, 1].</summary>
    public int[] AttentionResolutions { get; set; } = Array.Empty<int>();
    public int NumHeads { get; set; } = -1;
    public int NumHeadChannels { get; set; } = -1;
    public int TransformerDepth { get; set; } = 1;
    public int ContextDim { get; set; }
    public bool UseLinearProjection { get; set; }
    /// <summary>Channels of the ControlNet hint image (default 3).</summary>
    public int HintChannels { get; set; } = 3;
    /// <summary>Hint image to latent factor: 8 for latent diffusion (default), 1 for pixel space.</summary>
    public int HintDownsampling { get; set; } = 8;
}
