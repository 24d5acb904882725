using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// Base of every generated U-Net: a TorchSharp module that is also an <see cref="IUNet"/>, so code that builds one
/// (<see cref="ArchitectureCatalog"/>) hands back a type that loads weights and runs forward without casts.
/// </summary>
public abstract class UNetModule : nn.Module, IUNet
{
    /// <exception cref="ArgumentException"><paramref name="architecture"/> breaks a rule of <see cref="UNetArchitecture.Validate"/></exception>
    protected UNetModule(string name, UNetArchitecture architecture)
        : base(name) => Architecture = architecture.Validate();

    /// <summary>The description this module was generated from.</summary>
    public UNetArchitecture Architecture { get; }

    /// <inheritdoc/>
    public abstract Tensor Forward(Tensor x, Tensor timesteps, Tensor context, IReadOnlyList<Tensor>? controlResiduals = null, bool onlyMidControl = false,
        IReadOnlyList<Tensor?>? encoderAdditions = null);
}
