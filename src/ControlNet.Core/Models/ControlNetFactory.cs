using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// The paper's initialisation (CN <c>tool_add_control.py</c>, diffusers <c>ControlNetModel.from_unet</c>): the trainable copy
/// starts as the U-Net's time embedding, encoder and middle block; zero convs stay zero; the hint encoder stays fresh.
/// </summary>
public static class ControlNetFactory
{
    /// <summary>Prefixes of the ControlNet parameters that are copied from the U-Net.</summary>
    public static IReadOnlyList<string> CopiedPrefixes { get; } = new[] { "time_embed.", "input_blocks.", "middle_block." };

    /// <summary>Copies every <see cref="CopiedPrefixes"/> parameter of <paramref name="unet"/> into <paramref name="controlNet"/>, in place.</summary>
    /// <returns>the number of tensors copied</returns>
    public static int CopyFromUNet(nn.Module controlNet, nn.Module unet)
    {
        if (unet is not IUNet u)
            throw new ArgumentException($"{unet.GetType().Name} is not a generated U-Net (IUNet); pass the U-Net the ControlNet was declared for.", nameof(unet));
        if (controlNet is not IControlNet c)
            throw new ArgumentException($"{controlNet.GetType().Name} is not a generated ControlNet (IControlNet).", nameof(controlNet));
        if (!u.Architecture.Equals(c.Architecture))
            throw new ArgumentException($"The U-Net architecture {u.Architecture} differs from the ControlNet's {c.Architecture}; build the ControlNet declared for this U-Net.", nameof(unet));

        var source = unet.state_dict();
        var copied = 0;
        using var _ = no_grad();
        foreach (var (name, target) in controlNet.state_dict())
        {
            if (!CopiedPrefixes.Any(name.StartsWith)) continue;
            if (!source.TryGetValue(name, out var value))
                throw new InvalidOperationException($"The U-Net has no '{name}' to copy into the ControlNet; the two descriptions disagree.");
            if (!value.shape.SequenceEqual(target.shape))
                throw new InvalidOperationException($"'{name}' is [{string.Join(", ", value.shape)}] in the U-Net but [{string.Join(", ", target.shape)}] in the ControlNet.");
            target.copy_(value);
            copied++;
        }
        return copied;
    }

    /// <summary>Builds a new ControlNet with <paramref name="create"/> (on the U-Net's device and dtype) and copies the U-Net's weights into it.</summary>
    public static TControlNet FromUNet<TControlNet>(nn.Module unet, Func<Device, ScalarType, TControlNet> create) where TControlNet : nn.Module, IControlNet
    {
        var first = unet.parameters().First();
        var controlNet = create(first.device, first.dtype);
        CopyFromUNet(controlNet, unet);
        return controlNet;
    }
}
