using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// DPT's "project" readout (MiDaS vit.py <c>ProjectReadout</c>): each patch token is concatenated with the class token and
/// projected back to the token width (<c>project</c> = Linear(2C, C), GELU); the class token itself is dropped.
/// </summary>
public sealed class DptProjectReadout : nn.Module<Tensor, Tensor>
{
    private readonly Sequential project;

    public DptProjectReadout(long dim) : base(nameof(DptProjectReadout))
    {
        project = nn.Sequential(nn.Linear(2 * dim, dim), nn.GELU());
        RegisterComponents();
    }

    /// <param name="x">[B, 1 + N, C], class token first</param>
    /// <returns>[B, N, C]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var patches = x[.., 1..];                                          // [B, N, C]
        var readout = x[.., ..1].expand_as(patches);                       // [B, N, C]
        return project.call(cat([patches, readout], -1)).MoveToOuterDisposeScope(); // via [B, N, 2C]
    }
}
