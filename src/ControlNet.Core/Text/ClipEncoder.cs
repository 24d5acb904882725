using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Text;

/// <summary>The stack of encoder layers (HF <c>CLIPEncoder</c>, keys <c>layers.N.*</c>).</summary>
public sealed class ClipEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<ClipEncoderLayer> layers;

    public ClipEncoder(ClipTextConfig config) : base(nameof(ClipEncoder))
    {
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new ClipEncoderLayer(config)).ToArray());
        RegisterComponents();
    }

    public int LayerCount => layers.Count;

    /// <summary>Runs all layers.</summary>
    public override Tensor forward(Tensor h, Tensor mask) => Run(h, mask, layers.Count);

    /// <summary>Runs the first <paramref name="count"/> layers (clip skip stops early).</summary>
    public Tensor Run(Tensor h, Tensor mask, int count)
    {
        for (int i = 0; i < count; i++)
            h = layers[i].call(h, mask);                                               // [B, L, D]
        return h;
    }
}
