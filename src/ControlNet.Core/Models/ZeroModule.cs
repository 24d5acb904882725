using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>LDM <c>zero_module</c>: zero every parameter of a freshly built module (ControlNet paper §3.1, "zero convolution").</summary>
public static class ZeroModule
{
    public static T Zeroed<T>(T module) where T : nn.Module
    {
        using var _ = no_grad();
        foreach (var p in module.parameters())
            p.zero_();
        return module;
    }

    /// <summary>The 1×1 zero convolution that joins the trainable copy to the locked U-Net, wrapped so its key is <c>N.0.weight</c>.</summary>
    public static TorchSharp.Modules.Sequential Conv1x1(long channels, Device? device = null, ScalarType? dtype = null) =>
        nn.Sequential(Zeroed(new AdaptiveConv2d(channels, channels, 1, device: device, dtype: dtype)));
}
