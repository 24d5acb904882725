using ControlNet.Abstractions;
using ControlNet.Pipelines;
using ControlNet.Vision;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models.Adapters;

/// <summary>
/// The T2I style adapter as a condition adapter: the style image goes through CLIP's preprocessing and vision tower
/// (its last hidden state, as TencentARC's <c>get_cond_style</c> and A1111's <c>t2ia_style_clipvision</c> feed it) and the
/// <see cref="StyleAdapter"/>, once per generation; at each model call its K tokens are appended to the cross-attention
/// context (<see cref="UNetAdditions.ContextTokens"/>) instead of adding features to the U-Net. The denoiser scales them
/// by the control's strength on the conditional pass; the unconditional pass gets K zero tokens (docs/generation.md).
/// </summary>
public sealed class StyleConditionAdapter : IConditionAdapter, IDisposable
{
    readonly bool _ownsVision;

    /// <param name="ownsVision">whether disposing this adapter disposes <paramref name="vision"/> (several style adapters may share one)</param>
    /// <exception cref="ArgumentException">the adapter does not fit <paramref name="unet"/> or <paramref name="vision"/></exception>
    public StyleConditionAdapter(StyleAdapter adapter, ClipVisionEncoder vision, UNetArchitecture unet, bool ownsVision = true)
    {
        (Adapter, Vision, _ownsVision, ConditionDownsampling) = (adapter, vision, ownsVision, unet.HintDownsampling);
        if (adapter.Config.Mismatch(unet) is { } why) throw new ArgumentException($"The T2I style adapter does not fit the U-Net: {why}.", nameof(adapter));
        if (vision.Config.HiddenSize != adapter.Config.Width)
            throw new ArgumentException($"The T2I style adapter reads CLIP vision states {adapter.Config.Width} wide but the CLIP vision model is {vision.Config.HiddenSize} wide; " +
                "pass openai/clip-vit-large-patch14 (1024 wide) to --clip-vision.", nameof(vision));
    }

    public StyleAdapter Adapter { get; }

    public ClipVisionEncoder Vision { get; }

    public string Kind => "T2I style adapter";

    public int ConditionChannels => 3;

    /// <summary>Unused for the tokens (the image is cropped to CLIP's size): the latent factor, so the default fitting rule holds.</summary>
    public int ConditionDownsampling { get; }

    public bool AddsContextTokens => true;

    public string? Mismatch(UNetArchitecture unet) => Adapter.Config.Mismatch(unet);

    /// <summary>CLIP's preprocessing of the style image, whatever the output size and resize mode: [1, 3, S, S].</summary>
    public Tensor ConditionTensor(ConditionImage image, int width, int height, ResizeMode resize) =>
        ClipImageProcessor.PixelValues(image, Vision.Config.ImageSize);

    /// <summary>The style tokens [1, K, ContextDim] of CLIP-preprocessed pixels [1, 3, S, S].</summary>
    public IReadOnlyList<Tensor> EncodeCondition(Tensor condition)
    {
        using var scope = NewDisposeScope();
        var hidden = Vision.call(condition);                                                // [1, 1 + patches, Width]
        return [Adapter.call(hidden).MoveToOuterDisposeScope()];                            // [1, K, ContextDim]
    }

    /// <summary>The tokens for a batch of <c>x.shape[0]</c>; nothing spatial.</summary>
    public UNetAdditions Additions(IReadOnlyList<Tensor> features, Tensor x, Tensor timesteps, Tensor context) =>
        new(null, null, features[0].expand(x.shape[0], -1, -1));                           // [n, K, ContextDim]

    public void Dispose()
    {
        Adapter.Dispose();
        if (_ownsVision) Vision.Dispose();
    }
}
