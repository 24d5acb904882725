using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// For pixel-space diffusion models: the "latent" is the image itself (factor 1). The ControlNet paper's method
/// applies to both latent and pixel space; this lets one pipeline serve both.
/// </summary>
public sealed class IdentityAutoencoder(int channels = 3) : IAutoencoder
{
    public int DownscaleFactor => 1;
    public int LatentChannels { get; } = channels > 0 ? channels : throw new ArgumentOutOfRangeException(nameof(channels), channels, "Image channels must be positive (3 for RGB).");

    public Tensor Encode(Tensor image, Generator? generator) => Checked(image).clone();
    public Tensor Decode(Tensor latent) => Checked(latent).clone();

    Tensor Checked(Tensor t)
    {
        if (t.dim() != 4 || t.shape[1] != LatentChannels)
            throw new ArgumentException($"Expected [B, {LatentChannels}, H, W], got [{string.Join(", ", t.shape)}].");
        return t;
    }
}
