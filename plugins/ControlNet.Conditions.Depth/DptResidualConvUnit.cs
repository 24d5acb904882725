using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>MiDaS blocks.py <c>ResidualConvUnit_custom</c> without batch norm: x + conv2(relu(conv1(relu(x)))), 3×3 convs with bias.</summary>
public sealed class DptResidualConvUnit : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;

    public DptResidualConvUnit(long features) : base(nameof(DptResidualConvUnit))
    {
        conv1 = nn.Conv2d(features, features, 3, padding: 1);
        conv2 = nn.Conv2d(features, features, 3, padding: 1);
        RegisterComponents();
    }

    /// <param name="x">[B, F, H, W]</param>
    /// <returns>[B, F, H, W]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = conv1.call(nn.functional.relu(x));   // ReLU(inplace=False): x itself stays for the skip
        h = conv2.call(nn.functional.relu(h));
        return (h + x).MoveToOuterDisposeScope();
    }
}
