using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// LDM <c>openaimodel.py ResBlock</c> without up/down sampling and without scale-shift norm (REFERENCE §1.2):
/// h = conv(SiLU(GN(x))) + Linear(SiLU(emb)); h = conv(SiLU(GN(h))); return skip(x) + h.
/// </summary>
public sealed class ResBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Sequential in_layers;
    private readonly Sequential emb_layers;
    private readonly Sequential out_layers;
    private readonly nn.Module<Tensor, Tensor> skip_connection;

    public ResBlock(long inChannels, long outChannels, long embChannels, Device? device = null, ScalarType? dtype = null) : base(nameof(ResBlock))
    {
        in_layers = nn.Sequential(
            new GroupNorm32(inChannels, 1e-5, device, dtype),
            nn.SiLU(),
            new AdaptiveConv2d(inChannels, outChannels, 3, padding: 1, device: device, dtype: dtype));
        emb_layers = nn.Sequential(
            nn.SiLU(),
            nn.Linear(embChannels, outChannels, device: device, dtype: dtype));
        out_layers = nn.Sequential(
            new GroupNorm32(outChannels, 1e-5, device, dtype),
            nn.SiLU(),
            nn.Dropout(0.0),
            ZeroModule.Zeroed(new AdaptiveConv2d(outChannels, outChannels, 3, padding: 1, device: device, dtype: dtype)));
        // Identity has no parameters, so the checkpoint has no skip_connection keys when the widths agree.
        skip_connection = inChannels == outChannels
            ? nn.Identity()
            : new AdaptiveConv2d(inChannels, outChannels, 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, Cin, H, W]</param>
    /// <param name="emb">[B, E] time embedding</param>
    /// <returns>[B, Cout, H, W]</returns>
    public override Tensor forward(Tensor x, Tensor emb)
    {
        using var scope = NewDisposeScope();
        var h = in_layers.call(x);                                  // [B, Cout, H, W]
        var e = emb_layers.call(emb).to_type(h.dtype);              // [B, Cout]
        h = h + e.unsqueeze(-1).unsqueeze(-1);                      // [B, Cout, H, W]
        h = out_layers.call(h);
        return (skip_connection.call(x) + h).MoveToOuterDisposeScope();
    }
}
