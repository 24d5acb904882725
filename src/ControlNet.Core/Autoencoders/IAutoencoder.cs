using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// Maps images to the space the diffusion model works in and back. Images are [B, C, H, W] in [−1, 1];
/// latents are already scaled for the diffusion model (SD: ×0.18215). H and W must be multiples of <see cref="DownscaleFactor"/>.
/// </summary>
public interface IAutoencoder
{
    /// <summary>Image pixels per latent pixel along each axis (8 for SD's VAE, 1 for pixel space).</summary>
    int DownscaleFactor { get; }

    /// <summary>Channels of the latent (4 for SD's VAE).</summary>
    int LatentChannels { get; }

    /// <summary>Image [B, C, H, W] in [−1, 1] → latent [B, LatentChannels, H/f, W/f]. A stochastic encoder samples with
    /// <paramref name="generator"/>; with null it returns its mode (the mean).</summary>
    Tensor Encode(Tensor image, Generator? generator);

    /// <summary>Latent → image in [−1, 1] (not clamped).</summary>
    Tensor Decode(Tensor latent);
}
