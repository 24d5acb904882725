using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.SoftEdge;

/// <summary>
/// One VGG stage of <c>ControlNetHED_Apache2</c> (CN annotator/hed DoubleConvBlock): optional 2×2 max-pool, <c>layers</c> 3×3
/// convs each followed by ReLU, and a 1×1 projection of the features to one side-output channel.
/// </summary>
public sealed class HedBlock : nn.Module<Tensor, (Tensor Features, Tensor Side)>
{
    private readonly Sequential convs;
    private readonly Conv2d projection;
    private readonly bool _downSample;

    public HedBlock(long inChannels, long outChannels, int layers, bool downSample) : base(nameof(HedBlock))
    {
        var list = new List<nn.Module<Tensor, Tensor>> { nn.Conv2d(inChannels, outChannels, 3, padding: 1) };
        for (var i = 1; i < layers; i++) list.Add(nn.Conv2d(outChannels, outChannels, 3, padding: 1));
        convs = nn.Sequential(list); // keys convs.0 … convs.{layers-1}: ReLU is applied between, not stored
        projection = nn.Conv2d(outChannels, 1, 1);
        _downSample = downSample;
        RegisterComponents();
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <returns>features [B, Cout, H', W'] and the side output [B, 1, H', W'] (H' = H/2 when down-sampling)</returns>
    public override (Tensor Features, Tensor Side) forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = _downSample ? nn.functional.max_pool2d(x, 2, 2) : x.alias();
        foreach (var conv in convs.children().Cast<nn.Module<Tensor, Tensor>>())
            h = nn.functional.relu(conv.call(h));
        var side = projection.call(h);
        return (h.MoveToOuterDisposeScope(), side.MoveToOuterDisposeScope());
    }
}
