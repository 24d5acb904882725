using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>timm <c>Mlp</c>: <c>fc1</c> (C → 4C), exact (erf) GELU, <c>fc2</c> (4C → C).</summary>
public sealed class VitMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    public VitMlp(long dim, long hidden) : base(nameof(VitMlp))
    {
        fc1 = nn.Linear(dim, hidden);
        fc2 = nn.Linear(hidden, dim);
        RegisterComponents();
    }

    /// <param name="x">[B, N, C]</param>
    /// <returns>[B, N, C]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return fc2.call(nn.functional.gelu(fc1.call(x))).MoveToOuterDisposeScope();   // via [B, N, 4C]
    }
}
