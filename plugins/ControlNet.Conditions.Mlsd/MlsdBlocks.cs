using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Mlsd;

/// <summary>M-LSD decoder blocks (mbv2_mlsd_large.py BlockTypeA/B/C): conv + batch norm + ReLU stages under <c>conv1</c>, <c>conv2</c>(, <c>conv3</c>).</summary>
static class MlsdLayers
{
    public static Sequential ConvBnRelu(long inChannels, long outChannels, int kernelSize, int padding = 0, int dilation = 1) =>
        nn.Sequential(nn.Conv2d(inChannels, outChannels, kernelSize, padding: padding, dilation: dilation), nn.BatchNorm2d(outChannels), nn.ReLU());
}

/// <summary>BlockTypeA: 1×1 projections of the skip (<c>conv2</c>) and of the deeper map (<c>conv1</c>, optionally ×2 bilinear, align_corners), concatenated.</summary>
public sealed class MlsdBlockA : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Sequential conv1;
    private readonly Sequential conv2;
    private readonly bool _upscale;

    public MlsdBlockA(long skipChannels, long deepChannels, long skipOut, long deepOut, bool upscale = true) : base(nameof(MlsdBlockA))
    {
        conv1 = MlsdLayers.ConvBnRelu(deepChannels, deepOut, 1);
        conv2 = MlsdLayers.ConvBnRelu(skipChannels, skipOut, 1);
        _upscale = upscale;
        RegisterComponents();
    }

    /// <param name="skip">[B, Cs, H, W]</param>
    /// <param name="deep">[B, Cd, H/2, W/2] (or [B, Cd, H, W] without upscaling)</param>
    /// <returns>[B, skipOut + deepOut, H, W]</returns>
    public override Tensor forward(Tensor skip, Tensor deep)
    {
        using var scope = NewDisposeScope();
        var b = conv1.call(deep);
        var a = conv2.call(skip);
        if (_upscale) b = nn.functional.interpolate(b, scale_factor: [2.0, 2.0], mode: InterpolationMode.Bilinear, align_corners: true);
        return cat([a, b], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>BlockTypeB: a residual 3×3 stage (<c>conv1</c>, same width) then a 3×3 stage to the output width (<c>conv2</c>).</summary>
public sealed class MlsdBlockB : nn.Module<Tensor, Tensor>
{
    private readonly Sequential conv1;
    private readonly Sequential conv2;

    public MlsdBlockB(long inChannels, long outChannels) : base(nameof(MlsdBlockB))
    {
        conv1 = MlsdLayers.ConvBnRelu(inChannels, inChannels, 3, padding: 1);
        conv2 = MlsdLayers.ConvBnRelu(inChannels, outChannels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = conv1.call(x) + x;
        return conv2.call(h).MoveToOuterDisposeScope();
    }
}

/// <summary>BlockTypeC: a dilated (5) 3×3 stage, a 3×3 stage, then a 1×1 conv to the output maps (<c>conv3</c>, no norm).</summary>
public sealed class MlsdBlockC : nn.Module<Tensor, Tensor>
{
    private readonly Sequential conv1;
    private readonly Sequential conv2;
    private readonly Conv2d conv3;

    public MlsdBlockC(long inChannels, long outChannels) : base(nameof(MlsdBlockC))
    {
        conv1 = MlsdLayers.ConvBnRelu(inChannels, inChannels, 3, padding: 5, dilation: 5);
        conv2 = MlsdLayers.ConvBnRelu(inChannels, inChannels, 3, padding: 1);
        conv3 = nn.Conv2d(inChannels, outChannels, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return conv3.call(conv2.call(conv1.call(x))).MoveToOuterDisposeScope();
    }
}
