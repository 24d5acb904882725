using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>timm resnetv2 <c>ResNetStage</c>: <c>blocks.{i}</c> bottlenecks; the first one strides and projects the shortcut.</summary>
public sealed class ResNetV2Stage : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ResNetV2Bottleneck> blocks = new();

    public ResNetV2Stage(long inChannels, long outChannels, int stride, int depth) : base(nameof(ResNetV2Stage))
    {
        for (int i = 0; i < depth; i++)
            blocks.Add(new ResNetV2Bottleneck(i == 0 ? inChannels : outChannels, outChannels, i == 0 ? stride : 1, project: i == 0));
        RegisterComponents();
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <returns>[B, Cout, H/stride, W/stride]</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var block in blocks) h = block.call(h);
        return h.MoveToOuterDisposeScope();
    }
}
