using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>LDM <c>attention.py GEGLU</c>: first half of the projection is the value, second half the gate; exact (erf) GELU.</summary>
public sealed class GEGLU : nn.Module<Tensor, Tensor>
{
    private readonly Linear proj;

    public GEGLU(long dimIn, long dimOut, Device? device = null, ScalarType? dtype = null) : base(nameof(GEGLU))
    {
        proj = nn.Linear(dimIn, dimOut * 2, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var parts = proj.call(x).chunk(2, -1);                     // 2 × [B, N, dimOut]
        return (parts[0] * nn.functional.gelu(parts[1])).MoveToOuterDisposeScope();
    }
}
