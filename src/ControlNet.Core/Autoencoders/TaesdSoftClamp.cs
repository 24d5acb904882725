using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>TAESD's input clamp (taesd.py <c>Clamp</c>): 3·tanh(z/3), smooth and bounded to (−3, 3).</summary>
public sealed class TaesdSoftClamp : nn.Module<Tensor, Tensor>
{
    public TaesdSoftClamp() : base(nameof(TaesdSoftClamp)) { }

    public override Tensor forward(Tensor z) => torch.tanh(z / 3) * 3;
}
