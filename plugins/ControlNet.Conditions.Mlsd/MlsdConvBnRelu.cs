using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Mlsd;

/// <summary>
/// M-LSD's MobileNetV2 <c>ConvBNReLU</c> (a Sequential in the reference, so its keys are <c>0.weight</c>, <c>1.*</c>):
/// conv without bias, batch norm, ReLU6. Stride 2 pads right and bottom by one and convolves without padding, as TFLite does.
/// </summary>
public sealed class MlsdConvBnRelu : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d _conv;
    private readonly BatchNorm2d _bn;
    private readonly int _stride;

    public MlsdConvBnRelu(long inChannels, long outChannels, int kernelSize = 3, int stride = 1, long groups = 1) : base(nameof(MlsdConvBnRelu))
    {
        _stride = stride;
        _conv = nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: stride == 2 ? 0 : (kernelSize - 1) / 2, groups: groups, bias: false);
        _bn = nn.BatchNorm2d(outChannels);
        // Registered by index, as the reference Sequential names them (the reference's max_pool child holds no weights).
        register_module("0", _conv);
        register_module("1", _bn);
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <returns>[B, Cout, H/stride, W/stride]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = _stride == 2 ? nn.functional.pad(x, [0, 1, 0, 1]) : x.alias(); // (left, right, top, bottom)
        return nn.functional.relu6(_bn.call(_conv.call(h))).MoveToOuterDisposeScope();
    }
}
