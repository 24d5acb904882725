using TorchSharp;
using TorchSharp.Modules;

namespace ControlNet.Autoencoders;

internal static class VaeGroupNorm
{
    /// <summary>
    /// GroupNorm with eps 1e-6 (the whole VAE, REFERENCE §13.1) and weight 1 / bias 0. TorchSharp 0.107's
    /// <c>nn.GroupNorm</c> leaves its affine parameters uninitialised (garbage, sometimes NaN), so we set them explicitly.
    /// </summary>
    public static GroupNorm Create(int groups, int channels)
    {
        var norm = torch.nn.GroupNorm(groups, channels, eps: 1e-6);
        using (torch.no_grad())
        {
            torch.nn.init.ones_(norm.weight!);
            torch.nn.init.zeros_(norm.bias!);
        }
        return norm;
    }
}
