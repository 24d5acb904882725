using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// Base of every generated ControlNet: a TorchSharp module that is also an <see cref="IControlNet"/>, so code that
/// builds one (<see cref="ArchitectureCatalog"/>) hands back a type that loads weights and runs forward without casts.
/// </summary>
public abstract class ControlNetModule : nn.Module, IControlNet
{
    /// <exception cref="ArgumentException"><paramref name="architecture"/> breaks a rule of <see cref="UNetArchitecture.Validate"/></exception>
    protected ControlNetModule(string name, UNetArchitecture architecture)
        : base(name) => Architecture = architecture.Validate();

    /// <summary>The description of the U-Net this ControlNet belongs to.</summary>
    public UNetArchitecture Architecture { get; }

    /// <inheritdoc/>
    public abstract Tensor EncodeHint(Tensor hint);

    /// <inheritdoc/>
    public abstract IReadOnlyList<Tensor> Forward(Tensor x, Tensor hintFeatures, Tensor timesteps, Tensor context);

    /// <inheritdoc/>
    public abstract IReadOnlyList<Tensor> ForwardWithHint(Tensor x, Tensor hint, Tensor timesteps, Tensor context);
}
