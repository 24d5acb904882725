using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.SoftEdge;

/// <summary>The pixel-difference convolutions of PiDiNet (Su et al. 2021; CN11 annotator/pidinet/model.py <c>createConvFunc</c>).</summary>
public enum PixelDifference
{
    /// <summary>vanilla convolution</summary>
    Vanilla,
    /// <summary>central: <c>conv(x, w) − conv(x, Σw)</c>, the kernel applied to differences from the centre</summary>
    Central,
    /// <summary>angular: the kernel minus itself rotated one step clockwise round the ring</summary>
    Angular,
    /// <summary>radial: a 5×5 kernel, the outer ring (at distance 2) w₁…w₈ and the inner ring −w₁…−w₈, padding 2</summary>
    Radial,
}

/// <summary>
/// A 3×3 convolution whose stored <c>weight</c> (no bias) is turned into the kernel of its <see cref="PixelDifference"/> before
/// convolving, so the public weights load unchanged. The transforms are linear maps of the 9 taps: w·M with a constant M.
/// </summary>
public sealed class PixelDifferenceConv : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly PixelDifference _kind;
    private readonly long _groups;

    public PixelDifferenceConv(PixelDifference kind, long inChannels, long outChannels, long groups = 1) : base(nameof(PixelDifferenceConv))
    {
        _kind = kind;
        _groups = groups;
        weight = new Parameter(empty(outChannels, inChannels / groups, 3, 3));
        nn.init.kaiming_uniform_(weight, Math.Sqrt(5));
        RegisterComponents();
    }

    // ad: weights − weights[:, :, [3, 0, 1, 6, 4, 2, 7, 8, 5]] (each tap minus its anticlockwise neighbour on the ring).
    static readonly int[] AngularSource = [3, 0, 1, 6, 4, 2, 7, 8, 5];
    // rd: taps 1…8 go to these outer positions of the 5×5 kernel, and negated to the inner ones; the centre is 0.
    static readonly int[] RadialOuter = [0, 2, 4, 10, 14, 20, 22, 24];
    static readonly int[] RadialInner = [6, 7, 8, 11, 13, 16, 17, 18];

    /// <summary>The constant [9, K] matrix M of the transform (K = 9, or 25 for radial): kernel = w.view(…, 9) · M.</summary>
    public static Tensor TransformMatrix(PixelDifference kind)
    {
        var m = new float[9, kind == PixelDifference.Radial ? 25 : 9];
        switch (kind)
        {
            case PixelDifference.Angular:
                for (int k = 0; k < 9; k++) { m[k, k] += 1; m[AngularSource[k], k] -= 1; }
                break;
            case PixelDifference.Radial:
                for (int j = 0; j < 8; j++) { m[j + 1, RadialOuter[j]] = 1; m[j + 1, RadialInner[j]] = -1; }
                break;
            default:
                for (int k = 0; k < 9; k++) m[k, k] = 1;
                break;
        }
        return tensor(m);
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <returns>[B, Cout, H, W] (stride 1, same size)</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long o = weight.shape[0], i = weight.shape[1];
        switch (_kind)
        {
            case PixelDifference.Central:
                var centre = weight.sum([2, 3], keepdim: true);                                       // [O, I, 1, 1]
                var y = nn.functional.conv2d(x, weight, padding: [1, 1], groups: _groups);
                return (y - nn.functional.conv2d(x, centre, groups: _groups)).MoveToOuterDisposeScope();
            case PixelDifference.Angular:
                var angular = weight.view(o, i, 9).matmul(TransformMatrix(_kind)).view(o, i, 3, 3); // [O, I, 3, 3]
                return nn.functional.conv2d(x, angular, padding: [1, 1], groups: _groups).MoveToOuterDisposeScope();
            case PixelDifference.Radial:
                var radial = weight.view(o, i, 9).matmul(TransformMatrix(_kind)).view(o, i, 5, 5);   // [O, I, 5, 5]
                return nn.functional.conv2d(x, radial, padding: [2, 2], groups: _groups).MoveToOuterDisposeScope();
            default:
                return nn.functional.conv2d(x, weight, padding: [1, 1], groups: _groups).MoveToOuterDisposeScope();
        }
    }
}
