using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Lineart;

/// <summary>
/// Residual block of the lineart generator (CN11 annotator/lineart ResidualBlock): x + [reflect-pad 1, 3×3 conv, instance
/// norm, ReLU, reflect-pad 1, 3×3 conv, instance norm](x). Keys <c>conv_block.1.*</c> and <c>conv_block.5.*</c> (the convs;
/// padding, norms without affine parameters and ReLU hold no weights).
/// </summary>
public sealed class LineartResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly Sequential conv_block;

    public LineartResidualBlock(long features) : base(nameof(LineartResidualBlock))
    {
        conv_block = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(features, features, 3),
            nn.InstanceNorm2d(features),
            nn.ReLU(),
            nn.ReflectionPad2d(1),
            nn.Conv2d(features, features, 3),
            nn.InstanceNorm2d(features));
        RegisterComponents();
    }

    /// <param name="x">[B, C, H, W]</param>
    /// <returns>[B, C, H, W]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x + conv_block.call(x)).MoveToOuterDisposeScope();
    }
}
