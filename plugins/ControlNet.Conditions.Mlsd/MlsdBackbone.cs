using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Mlsd;

/// <summary>
/// M-LSD's truncated MobileNetV2 (4 input channels: RGB + a constant plane): <c>features.0</c> a stride-2 ConvBNReLU to 32,
/// then inverted residuals (t, c, n, s) = (1,16,1,1), (6,24,2,2), (6,32,3,2), (6,64,4,2), (6,96,3,1) as <c>features.1…13</c>.
/// Returns the outputs of features 1, 3, 6, 10 and 13 (16, 24, 32, 64, 96 channels at 1/2, 1/4, 1/8, 1/16, 1/16).
/// </summary>
public sealed class MlsdBackbone : nn.Module<Tensor, Tensor[]>
{
    private readonly Sequential features;
    static readonly int[] Selected = [1, 3, 6, 10, 13];

    public MlsdBackbone() : base(nameof(MlsdBackbone))
    {
        var layers = new List<nn.Module<Tensor, Tensor>> { new MlsdConvBnRelu(4, 32, stride: 2) };
        long input = 32;
        foreach (var (t, c, n, s) in new[] { (1, 16L, 1, 1), (6, 24L, 2, 2), (6, 32L, 3, 2), (6, 64L, 4, 2), (6, 96L, 3, 1) })
            for (var i = 0; i < n; i++)
            {
                layers.Add(new MlsdInvertedResidual(input, c, i == 0 ? s : 1, t));
                input = c;
            }
        features = nn.Sequential(layers);
        RegisterComponents();
    }

    /// <param name="x">[B, 4, H, W]</param>
    public override Tensor[] forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var selected = new List<Tensor>();
        var h = x;
        var i = 0;
        foreach (var f in features.children().Cast<nn.Module<Tensor, Tensor>>())
        {
            h = f.call(h);
            if (Selected.Contains(i)) selected.Add(h.MoveToOuterDisposeScope());
            if (++i > Selected[^1]) break;
        }
        return [.. selected];
    }
}
