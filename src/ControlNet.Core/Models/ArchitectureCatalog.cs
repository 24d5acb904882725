using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>The architectures shipped with the SDK, by name ("sd15", "sd21", "toy", "toy-latent").</summary>
public static class ArchitectureCatalog
{
    public sealed record Entry(
        string Name,
        UNetArchitecture Architecture,
        Func<Device?, ScalarType?, nn.Module> CreateUNet,
        Func<Device?, ScalarType?, nn.Module> CreateControlNet);

    public static IReadOnlyList<Entry> All { get; } = new[]
    {
        new Entry("sd15", Sd15UNet.Architecture, (d, t) => new Sd15UNet(d, t), (d, t) => new Sd15ControlNet(d, t)),
        new Entry("sd21", Sd21UNet.Architecture, (d, t) => new Sd21UNet(d, t), (d, t) => new Sd21ControlNet(d, t)),
        new Entry("toy", ToyUNet.Architecture, (d, t) => new ToyUNet(d, t), (d, t) => new ToyControlNet(d, t)),
        new Entry("toy-latent", ToyLatentUNet.Architecture, (d, t) => new ToyLatentUNet(d, t), (d, t) => new ToyLatentControlNet(d, t)),
    };

    /// <summary>The meta device: modules built there have shapes but no storage.</summary>
    public static Device Meta { get; } = new(TorchSharp.DeviceType.META);

    public static IEnumerable<string> Names => All.Select(e => e.Name);

    public static Entry Get(string name) =>
        All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown architecture '{name}'; use one of: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>Builds the U-Net; the result implements <see cref="IUNet"/>.</summary>
    public static nn.Module CreateUNet(string name, Device? device = null, ScalarType? dtype = null) => Get(name).CreateUNet(device, dtype);

    /// <summary>Builds a fresh ControlNet; the result implements <see cref="IControlNet"/>.</summary>
    public static nn.Module CreateControlNet(string name, Device? device = null, ScalarType? dtype = null) => Get(name).CreateControlNet(device, dtype);

    /// <summary>The paper's initialisation by name: a ControlNet on the U-Net's device and dtype with the U-Net's encoder weights.</summary>
    public static nn.Module CreateControlNetFromUNet(string name, nn.Module unet)
    {
        var first = unet.parameters().First();
        var controlNet = CreateControlNet(name, first.device, first.dtype);
        ControlNetFactory.CopyFromUNet(controlNet, unet);
        return controlNet;
    }

    /// <summary>Builds on the meta device (no memory) and returns (tensors, parameters): cheap even for SD.</summary>
    public static (int Tensors, long Parameters) Count(string name, bool controlNet)
    {
        using var module = controlNet ? CreateControlNet(name, Meta) : CreateUNet(name, Meta);
        var state = module.state_dict();
        return (state.Count, state.Values.Sum(t => t.numel()));
    }
}
