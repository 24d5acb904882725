using ControlNet.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// The KL-regularised autoencoder of SD 1.x (LDM <c>AutoencoderKL</c>, REFERENCE §5) with LDM parameter names
/// (<c>encoder.*</c>, <c>decoder.*</c>, <c>quant_conv</c>, <c>post_quant_conv</c>). <see cref="Encode"/> returns
/// scaled latents (×<see cref="AutoencoderConfig.ScalingFactor"/>), <see cref="Decode"/> divides by it first.
/// </summary>
public sealed class AutoencoderKL : nn.Module<Tensor, Tensor>, IAutoencoder
{
    private readonly VaeEncoder encoder;
    private readonly VaeDecoder decoder;
    private readonly Conv2d quant_conv;
    private readonly Conv2d post_quant_conv;

    public AutoencoderKL(AutoencoderConfig config) : base(nameof(AutoencoderKL))
    {
        Config = config.Validate();
        encoder = new VaeEncoder(config);
        decoder = new VaeDecoder(config);
        quant_conv = nn.Conv2d(2 * config.LatentChannels, 2 * config.LatentChannels, 1);
        post_quant_conv = nn.Conv2d(config.LatentChannels, config.LatentChannels, 1);
        RegisterComponents();
    }

    public AutoencoderConfig Config { get; }
    public int DownscaleFactor => Config.DownscaleFactor;
    public int LatentChannels => Config.LatentChannels;

    ReleasableWeights? _encoderWeights;

    /// <summary>Parameter names of the encoder half (<c>encoder.*</c>, <c>quant_conv.*</c>): what text-to-image never runs.</summary>
    public static bool IsEncoderKey(string name) =>
        name.StartsWith("encoder.", StringComparison.Ordinal) || name.StartsWith("quant_conv.", StringComparison.Ordinal);

    /// <summary>
    /// Leaves the encoder's weights unloaded until the first <see cref="Encode"/> (img2img, inpainting), which reads them
    /// with <paramref name="loadEncoder"/> (the loader's strict read of the <see cref="IsEncoderKey"/> part of the file);
    /// <see cref="ReleaseEncoder"/> frees them again. Call before loading the decoder part, on a freshly built module.
    /// </summary>
    public void LoadEncoderOnUse(Action loadEncoder)
    {
        _encoderWeights = ReleasableWeights.Deferred(this, IsEncoderKey, loadEncoder, "VAE encoder");
    }

    /// <summary>Whether the encoder's weights are in memory (false while <see cref="LoadEncoderOnUse"/> defers them).</summary>
    public bool IsEncoderLoaded => _encoderWeights?.IsLoaded ?? true;

    /// <summary>Frees the encoder's weights until the next <see cref="Encode"/>; nothing unless <see cref="LoadEncoderOnUse"/> was called.</summary>
    public void ReleaseEncoder() => _encoderWeights?.Release();

    ReleasableWeights? _decoderWeights;

    /// <summary>
    /// Leaves the decoder half's weights (everything but <see cref="IsEncoderKey"/>) unloaded until the next decode, which
    /// reads them with <paramref name="loadDecoder"/>; <see cref="ReleaseDecoder"/> frees them again after it
    /// (<see cref="Pipelines.MemoryPolicy.Release"/>: the decoder is resident only while it decodes).
    /// </summary>
    public void LoadDecoderOnUse(Action loadDecoder)
    {
        _decoderWeights = ReleasableWeights.Deferred(this, key => !IsEncoderKey(key), loadDecoder, "VAE decoder");
    }

    /// <summary>Whether the decoder's weights are in memory (false while <see cref="LoadDecoderOnUse"/> defers them).</summary>
    public bool IsDecoderLoaded => _decoderWeights?.IsLoaded ?? true;

    /// <summary>Frees the decoder's weights until the next decode; nothing unless <see cref="LoadDecoderOnUse"/> was called.</summary>
    public void ReleaseDecoder() => _decoderWeights?.Release();

    /// <summary>Reconstruction: decode(encode(image)) with the posterior mode.</summary>
    public override Tensor forward(Tensor image) => Decode(Encode(image, generator: null));

    /// <summary>Posterior of image [B, 3, H, W] in [−1, 1]: mean and log-variance (clamped to [−30, 20]), unscaled, [B, z, H/f, W/f] each.</summary>
    public (Tensor Mean, Tensor LogVar) EncodeMoments(Tensor image)
    {
        CheckSpatial(image, Config.InChannels, DownscaleFactor, "image");
        _encoderWeights?.EnsureLoaded();
        using var scope = torch.NewDisposeScope();
        var moments = quant_conv.call(encoder.call(image));              // [B, 2z, H/f, W/f]
        var parts = moments.chunk(2, dim: 1);
        var logVar = parts[1].clamp(-30.0, 20.0);
        return (parts[0].MoveToOuterDisposeScope(), logVar.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Scaled latent of the image: a posterior sample mean + exp(½·logvar)·N(0,1) drawn from <paramref name="generator"/>
    /// (LDM's get_first_stage_encoding), or the mode (mean) when <paramref name="generator"/> is null; then × scaling factor.
    /// </summary>
    public Tensor Encode(Tensor image, Generator? generator)
    {
        using var scope = torch.NewDisposeScope();
        var (mean, logVar) = EncodeMoments(image);
        return Sample(mean, logVar, generator).MoveToOuterDisposeScope();
    }

    /// <summary>Scaled latent from posterior moments (e.g. cached ones): mean + exp(½·logvar)·N(0,1), or the mean when <paramref name="generator"/> is null; × scaling factor.</summary>
    public Tensor Sample(Tensor mean, Tensor logVar, Generator? generator)
    {
        using var scope = torch.NewDisposeScope();
        var z = generator is null
            ? mean
            : mean + torch.exp(0.5 * logVar) * torch.randn(mean.shape, dtype: mean.dtype, device: mean.device, generator: generator);
        return (z * Config.ScalingFactor).MoveToOuterDisposeScope();
    }

    /// <summary>Image in [−1, 1] (unclamped) from a scaled latent [B, z, h, w] → [B, 3, h·f, w·f].</summary>
    public Tensor Decode(Tensor latent)
    {
        CheckSpatial(latent, Config.LatentChannels, 1, "latent");
        _decoderWeights?.EnsureLoaded();
        using var scope = torch.NewDisposeScope();
        var z = post_quant_conv.call(latent / Config.ScalingFactor);
        return decoder.call(z).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Decode with bounded memory. The latent-resolution stem (conv_in and the mid block with its global attention) runs
    /// once on the whole latent; the memory-heavy up path runs tile by tile on cores of <paramref name="tileSize"/> latent
    /// pixels, each decoded with <paramref name="context"/> latent pixels of surrounding context that are cropped away
    /// afterwards (default: the up path's receptive radius, <see cref="AutoencoderConfig.DecoderReceptiveRadius"/>, so tile
    /// borders see the same neighbours as in a full decode; a shorter context is faster and leaves seams). GroupNorm's
    /// statistics come from <paramref name="statistics"/>: per tile by default (diffusers' VAE tiling does the same), or
    /// shared by all tiles. Peak memory scales with (tileSize + 2·context)² instead of the image area; the time with
    /// <see cref="VaeTilePlan.Ratio"/>. A latent that fits in one tile decodes exactly as <see cref="Decode"/>.
    /// </summary>
    public Tensor DecodeTiled(Tensor latent, int tileSize = 64, int? context = null, TileNormStatistics statistics = TileNormStatistics.PerTile)
    {
        CheckSpatial(latent, Config.LatentChannels, 1, "latent");
        int halo = context ?? Config.DecoderReceptiveRadius;
        if (tileSize < 1 || halo < 0)
            throw new ArgumentOutOfRangeException(nameof(tileSize), $"Need tile size ≥ 1 and context ≥ 0 latent pixels; got {tileSize} and {halo} (defaults 64 and {Config.DecoderReceptiveRadius}).");
        _decoderWeights?.EnsureLoaded();
        using var scope = torch.NewDisposeScope();
        var stem = decoder.Stem(post_quant_conv.call(latent / Config.ScalingFactor));   // [B, mid, h, w]
        long height = stem.shape[2], width = stem.shape[3];
        if (height <= tileSize && width <= tileSize)
            return decoder.Head(stem).MoveToOuterDisposeScope();

        using var shared = statistics == TileNormStatistics.PerTile ? null : new GroupNormStatistics();
        if (shared is not null)
        {
            // 1. One recording pass of the up path over the whole latent gives every GroupNorm its statistics.
            using var recordScope = torch.NewDisposeScope();
            decoder.ShareHeadStatistics(shared);
            decoder.Head(stem);
            shared.Recording = false;
        }
        try
        {
            // 2. The tiles, each normalised with the shared statistics when there are some.
            int f = DownscaleFactor;
            var output = torch.empty(stem.shape[0], Config.OutChannels, height * f, width * f, dtype: stem.dtype, device: stem.device);
            for (long y0 = 0; y0 < height; y0 += tileSize)
                for (long x0 = 0; x0 < width; x0 += tileSize)
                {
                    using var tileScope = torch.NewDisposeScope();
                    long y1 = Math.Min(y0 + tileSize, height), x1 = Math.Min(x0 + tileSize, width);
                    long ry0 = Math.Max(0, y0 - halo), ry1 = Math.Min(height, y1 + halo);    // core plus context, clipped to the latent
                    long rx0 = Math.Max(0, x0 - halo), rx1 = Math.Min(width, x1 + halo);
                    var region = decoder.Head(stem[.., .., TensorIndex.Slice(ry0, ry1), TensorIndex.Slice(rx0, rx1)]);   // [B, 3, (ry1−ry0)·f, (rx1−rx0)·f]
                    var core = region[.., .., TensorIndex.Slice((y0 - ry0) * f, (y1 - ry0) * f), TensorIndex.Slice((x0 - rx0) * f, (x1 - rx0) * f)];
                    output[.., .., TensorIndex.Slice(y0 * f, y1 * f), TensorIndex.Slice(x0 * f, x1 * f)].copy_(core);
                }
            return output.MoveToOuterDisposeScope();
        }
        finally
        {
            if (shared is not null) decoder.ShareHeadStatistics(null);
        }
    }

    /// <summary>
    /// Tiled decode with a <see cref="VaeTilePlan"/> (e.g. <see cref="VaeTilePlan.Choose"/>: bounded memory at a chosen time
    /// cost), GroupNorm statistics per tile.
    /// </summary>
    public Tensor DecodeTiled(Tensor latent, VaeTilePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return DecodeTiled(latent, plan.TileSize, plan.Context);
    }

    static void CheckSpatial(Tensor t, int channels, int multiple, string what)
    {
        if (t.dim() != 4 || t.shape[1] != channels)
            throw new ArgumentException($"The {what} must be [B, {channels}, H, W], got [{string.Join(", ", t.shape)}].");
        if ((Pipelines.ImageSize.Problem(t.shape[3], multiple) ?? Pipelines.ImageSize.Problem(t.shape[2], multiple)) is { } problem)
            throw new ArgumentException($"The {what} size {t.shape[3]}×{t.shape[2]}: a side {problem} Resize or crop it.");
    }
}
