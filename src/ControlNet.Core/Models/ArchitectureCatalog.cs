using ControlNet.Checkpoints;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// The architectures shipped with the SDK, by name ("sd15", "sd21", "toy", "toy-latent"). Each entry is its generated
/// module pair and the description they were generated from; everything else about an architecture (tensor shapes,
/// key map, detection) is derived from that description, so adding a description and a line here is the whole edit.
/// </summary>
public static class ArchitectureCatalog
{
    /// <summary>One named architecture; the factories return typed modules (<see cref="nn.Module"/> and <see cref="IUNet"/>/<see cref="IControlNet"/> in one).</summary>
    public sealed record Entry(
        string Name,
        UNetArchitecture Architecture,
        Func<Device?, ScalarType?, UNetModule> CreateUNet,
        Func<Device?, ScalarType?, ControlNetModule> CreateControlNet)
    {
        /// <summary>Tensor names and shapes of this U-Net and its ControlNet (canonical LDM names).</summary>
        public ArchitectureShapes Shapes { get; } = ArchitectureShapes.For(Architecture.Validate());
    }

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

    /// <summary>Builds the U-Net.</summary>
    public static UNetModule CreateUNet(string name, Device? device = null, ScalarType? dtype = null) => Get(name).CreateUNet(device, dtype);

    /// <summary>Builds a fresh ControlNet.</summary>
    public static ControlNetModule CreateControlNet(string name, Device? device = null, ScalarType? dtype = null) => Get(name).CreateControlNet(device, dtype);

    /// <summary>The paper's initialisation by name: a ControlNet on the U-Net's device and dtype with the U-Net's encoder weights.</summary>
    public static ControlNetModule CreateControlNetFromUNet(string name, nn.Module unet)
    {
        var first = unet.parameters().First();
        var controlNet = CreateControlNet(name, first.device, first.dtype);
        ControlNetFactory.CopyFromUNet(controlNet, unet);
        return controlNet;
    }

    /// <summary>Builds on the meta device (no memory) and returns (tensors, parameters): cheap even for SD.</summary>
    public static (int Tensors, long Parameters) Count(string name, bool controlNet)
    {
        using nn.Module module = controlNet ? CreateControlNet(name, Meta) : CreateUNet(name, Meta);
        var state = module.state_dict();
        return (state.Count, state.Values.Sum(t => t.numel()));
    }

    /// <summary>
    /// The entry whose U-Net (or ControlNet) has exactly the tensor names and shapes of <paramref name="weights"/>
    /// (canonical LDM names), or null. Derived from each description's layout, so a new entry is detected without edits.
    /// </summary>
    /// <param name="candidates">the entries to try; null = <see cref="All"/> (pass your own for architectures declared in your code)</param>
    public static Entry? Detect(ComponentWeights weights, IEnumerable<Entry>? candidates = null)
    {
        if (weights.Component is not (ModelComponent.Unet or ModelComponent.ControlNet)) return null;
        return (candidates ?? All).FirstOrDefault(e => Matches(e.Shapes.Enumerate(weights.Component), weights));
    }

    static bool Matches(IReadOnlyList<(string Name, long[] Shape)> expected, ComponentWeights weights) =>
        expected.Count == weights.ByName.Count &&
        expected.All(s => weights.ByName.TryGetValue(s.Name, out var t) && t.Shape.AsSpan().SequenceEqual(s.Shape));
}
