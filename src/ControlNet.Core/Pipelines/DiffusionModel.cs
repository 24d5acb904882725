using ControlNet.Autoencoders;
using ControlNet.Models;
using ControlNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Pipelines;

/// <summary>
/// The networks of a base model, loaded and on their device: the U-Net, the CLIP text encoder with its tokenizer, and the
/// autoencoder (<see cref="IdentityAutoencoder"/> for pixel-space models). Owns and disposes the modules.
/// </summary>
public sealed class DiffusionModel : IDisposable
{
    public DiffusionModel(string architecture, IUNet unet, ClipTextEncoder textEncoder, ClipTokenizer tokenizer, IAutoencoder autoencoder)
    {
        ArgumentNullException.ThrowIfNull(unet);
        ArgumentNullException.ThrowIfNull(textEncoder);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(autoencoder);
        if (textEncoder.Config.HiddenSize != unet.Architecture.ContextDim)
            throw new ArgumentException($"The text encoder is {textEncoder.Config.HiddenSize} wide but the U-Net's cross-attention expects {unet.Architecture.ContextDim}; use the text encoder of the same model.");
        if (textEncoder.Config.MaxPositionEmbeddings != ClipTokenizer.ContextLength)
            throw new ArgumentException($"The text encoder has {textEncoder.Config.MaxPositionEmbeddings} positions; the tokenizer frames {ClipTokenizer.ContextLength}. Set max_position_embeddings to 77 in its config.json.");
        if (tokenizer.VocabularySize > textEncoder.Config.VocabSize)
            throw new ArgumentException($"The tokenizer has {tokenizer.VocabularySize} entries but the text encoder embeds only {textEncoder.Config.VocabSize}; use the tokenizer that belongs to the model.");
        if (autoencoder.LatentChannels != unet.Architecture.InChannels)
            throw new ArgumentException($"The autoencoder's latent has {autoencoder.LatentChannels} channels but the U-Net takes {unet.Architecture.InChannels}; pixel-space models use IdentityAutoencoder({unet.Architecture.InChannels}).");
        (Architecture, UNet, _textEncoder, Tokenizer, Autoencoder) = (architecture, unet, textEncoder, tokenizer, autoencoder);
        var first = textEncoder.parameters().First();
        (Device, DType) = (first.device, first.dtype);
    }

    /// <summary>The <see cref="ArchitectureCatalog"/> name ("sd15", "toy", …), which also builds matching ControlNets.</summary>
    public string Architecture { get; }
    public IUNet UNet { get; }

    readonly ClipTextEncoder _textEncoder;
    ReleasableWeights? _textEncoderWeights;

    /// <summary>The CLIP text encoder, its weights read back from the model file first when <see cref="ReleaseTextEncoder"/> freed them.</summary>
    public ClipTextEncoder TextEncoder
    {
        get
        {
            _textEncoderWeights?.EnsureLoaded();
            return _textEncoder;
        }
    }

    /// <summary>Whether a released text encoder can be read back: set by <see cref="ReloadTextEncoderWith"/> (the loader does).</summary>
    public bool CanReleaseTextEncoder => _textEncoderWeights is not null;

    /// <summary>Whether the text encoder's weights are in memory.</summary>
    public bool IsTextEncoderLoaded => _textEncoderWeights?.IsLoaded ?? true;

    /// <summary>
    /// Lets <see cref="ReleaseTextEncoder"/> free the text encoder: <paramref name="reload"/> reads its weights from the
    /// model file again (strictly, into the same module) the next time <see cref="TextEncoder"/> is used.
    /// </summary>
    public void ReloadTextEncoderWith(Action<ClipTextEncoder> reload)
    {
        ArgumentNullException.ThrowIfNull(reload);
        _textEncoderWeights = new ReleasableWeights(_textEncoder, _ => true, () => reload(_textEncoder), "text encoder");
    }

    /// <summary>
    /// Hands the text encoder's weights to <paramref name="textEncoderWeights"/> (made over this model's text encoder by the
    /// loader, usually released until the first encoding), as <see cref="ReloadTextEncoderWith"/> does for a loaded one.
    /// </summary>
    public void LoadTextEncoderOnUse(ReleasableWeights textEncoderWeights) =>
        _textEncoderWeights = textEncoderWeights ?? throw new ArgumentNullException(nameof(textEncoderWeights));

    /// <summary>Frees the text encoder's weights until its next use (<see cref="ReloadTextEncoderWith"/> must have been called).</summary>
    public void ReleaseTextEncoder() =>
        (_textEncoderWeights ?? throw new InvalidOperationException("This model's text encoder cannot be read back from a file (it was not loaded by ControlNetPipelineLoader); keep it loaded (MemoryPolicy.Keep)."))
            .Release();

    ReleasableWeights? _unetWeights;

    /// <summary>
    /// Hands the U-Net's weights to <paramref name="unetWeights"/> (made over this model's U-Net by the loader, usually
    /// released before the other networks were built): <see cref="EnsureUNetLoaded"/> reads them, <see cref="ReleaseUNet"/>
    /// frees them again (<see cref="MemoryPolicy.Release"/>: the U-Net is resident only while it denoises).
    /// </summary>
    public void LoadUNetOnUse(ReleasableWeights unetWeights) => _unetWeights = unetWeights ?? throw new ArgumentNullException(nameof(unetWeights));

    /// <summary>Whether the U-Net's weights are in memory (false while <see cref="LoadUNetOnUse"/> defers them).</summary>
    public bool IsUNetLoaded => _unetWeights?.IsLoaded ?? true;

    /// <summary>Reads the U-Net's weights back when <see cref="ReleaseUNet"/> freed them; nothing otherwise.</summary>
    public void EnsureUNetLoaded() => _unetWeights?.EnsureLoaded();

    /// <summary>Frees the U-Net's weights until <see cref="EnsureUNetLoaded"/>; nothing unless <see cref="LoadUNetOnUse"/> was called.</summary>
    public void ReleaseUNet() => _unetWeights?.Release();

    /// <summary>
    /// 16-bit weight storage with fp32 compute for the U-Net, text encoder and autoencoder (<see cref="WeightStorage.Apply"/>);
    /// weights not read yet (<see cref="MemoryPolicy.Release"/>) are read in <paramref name="storage"/> when they are.
    /// </summary>
    public void StoreWeightsIn(ScalarType storage)
    {
        foreach (var m in new object[] { UNet, _textEncoder, Autoencoder }.OfType<nn.Module>())
            WeightStorage.Apply(m, storage);
    }

    public ClipTokenizer Tokenizer { get; }
    public IAutoencoder Autoencoder { get; }
    /// <summary>
    /// The decoder live previews use (<see cref="LatentPreview.Render"/>): a TAESD loaded for previews (<c>--preview
    /// taesd:FOLDER</c>; owned, disposed with the model), else <see cref="Autoencoder"/> when that is TAESD, else null
    /// (the linear approximation). Set before the first generation.
    /// </summary>
    public IAutoencoder? PreviewDecoder
    {
        get => _previewDecoder ?? Autoencoder as TinyAutoencoder;
        set => _previewDecoder = value;
    }
    IAutoencoder? _previewDecoder;
    public Device Device { get; }
    public ScalarType DType { get; }

    /// <summary>
    /// Image sides must be multiples of this: the autoencoder factor (8 for SD, 1 for the pixel-space toy), as in
    /// diffusers and A1111. The U-Net takes latents of any size: its decoder upsamples to each skip's size.
    /// </summary>
    public int SizeMultiple => Autoencoder.DownscaleFactor;

    public void Dispose()
    {
        (UNet as IDisposable)?.Dispose();
        _textEncoder.Dispose();
        (Autoencoder as IDisposable)?.Dispose();
        if (!ReferenceEquals(_previewDecoder, Autoencoder)) (_previewDecoder as IDisposable)?.Dispose();
    }
}
