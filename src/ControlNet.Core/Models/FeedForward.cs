using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>LDM <c>FeedForward(dim, mult=4, glu=True)</c>: keys <c>net.0.proj</c> [8C, C] and <c>net.2</c> [C, 4C].</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    public const int Mult = 4;

    private readonly Sequential net;

    public FeedForward(long dim, Device? device = null, ScalarType? dtype = null) : base(nameof(FeedForward))
    {
        net = nn.Sequential(
            new GEGLU(dim, dim * Mult, device, dtype),
            nn.Dropout(0.0),
            nn.Linear(dim * Mult, dim, device: device, dtype: dtype));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => net.call(x);
}
