using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.SoftEdge;

/// <summary>
/// PiDiNet's residual block (PDCBlock): [2×2 max-pool and a 1×1 <c>shortcut</c> conv when down-sampling] → depth-wise 3×3
/// pixel-difference conv <c>conv1</c> → ReLU → 1×1 <c>conv2</c> (no bias) → plus the (shortcut) input.
/// </summary>
public sealed class PidiBlock : nn.Module<Tensor, Tensor>
{
    private readonly PixelDifferenceConv conv1;
    private readonly Conv2d conv2;
    private readonly Conv2d? shortcut;

    public PidiBlock(PixelDifference kind, long inChannels, long outChannels, bool downSample = false) : base(nameof(PidiBlock))
    {
        conv1 = new PixelDifferenceConv(kind, inChannels, inChannels, groups: inChannels);
        conv2 = nn.Conv2d(inChannels, outChannels, 1, bias: false);
        if (downSample) shortcut = nn.Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <returns>[B, Cout, H', W'] (H' = H/2 when down-sampling)</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var input = shortcut is null ? x : nn.functional.max_pool2d(x, 2, 2);
        var y = conv2.call(nn.functional.relu(conv1.call(input)));
        return (y + (shortcut is null ? input : shortcut.call(input))).MoveToOuterDisposeScope();
    }
}

/// <summary>CDCM (compact dilation convolution module): ReLU, 1×1 <c>conv1</c> to the fuse width, then the sum of four 3×3 convs dilated 5, 7, 9, 11.</summary>
public sealed class PidiDilation : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2_1;
    private readonly Conv2d conv2_2;
    private readonly Conv2d conv2_3;
    private readonly Conv2d conv2_4;

    public PidiDilation(long inChannels, long outChannels) : base(nameof(PidiDilation))
    {
        conv1 = nn.Conv2d(inChannels, outChannels, 1);
        conv2_1 = nn.Conv2d(outChannels, outChannels, 3, dilation: 5, padding: 5, bias: false);
        conv2_2 = nn.Conv2d(outChannels, outChannels, 3, dilation: 7, padding: 7, bias: false);
        conv2_3 = nn.Conv2d(outChannels, outChannels, 3, dilation: 9, padding: 9, bias: false);
        conv2_4 = nn.Conv2d(outChannels, outChannels, 3, dilation: 11, padding: 11, bias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = conv1.call(nn.functional.relu(x));
        return (conv2_1.call(h) + conv2_2.call(h) + conv2_3.call(h) + conv2_4.call(h)).MoveToOuterDisposeScope();
    }
}

/// <summary>CSAM (compact spatial attention): x · sigmoid(3×3 <c>conv2</c>(1×1 <c>conv1</c>(ReLU x))) with 4 middle channels.</summary>
public sealed class PidiAttention : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;

    public PidiAttention(long channels) : base(nameof(PidiAttention))
    {
        conv1 = nn.Conv2d(channels, 4, 1);
        conv2 = nn.Conv2d(4, 1, 3, padding: 1, bias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var attention = sigmoid(conv2.call(conv1.call(nn.functional.relu(x))));   // [B, 1, H, W]
        return (x * attention).MoveToOuterDisposeScope();
    }
}

/// <summary>MapReduce: a 1×1 <c>conv</c> to one edge channel.</summary>
public sealed class PidiMapReduce : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public PidiMapReduce(long channels) : base(nameof(PidiMapReduce))
    {
        conv = nn.Conv2d(channels, 1, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => conv.call(x);
}
