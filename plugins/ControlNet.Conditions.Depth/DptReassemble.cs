using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Conditions.Depth;

/// <summary>
/// A DPT reassemble step for a ViT activation (MiDaS vit.py <c>act_postprocess3</c>/<c>4</c>, an nn.Sequential whose weights sit at
/// indices 0, 3 and 4): <c>0</c> the project readout, then tokens → [B, C, gh, gw] (indices 1–2 have no weights), <c>3</c> a 1×1 conv,
/// and for the deepest feature <c>4</c> a 3×3 stride-2 conv (to 1/32).
/// </summary>
public sealed class DptReassemble : nn.Module<Tensor, long, long, Tensor>
{
    // Held in a tuple, not as module fields, so they are registered only under their index names.
    private readonly (DptProjectReadout Readout, Conv2d Project, Conv2d? Downsample) _layers;

    public DptReassemble(long dim, long outChannels, bool downsample) : base(nameof(DptReassemble))
    {
        _layers = (new DptProjectReadout(dim), nn.Conv2d(dim, outChannels, 1),
            downsample ? nn.Conv2d(outChannels, outChannels, 3, stride: 2, padding: 1) : null);
        // The nn.Sequential indices are the state-dict names.
        register_module("0", _layers.Readout);
        register_module("3", _layers.Project);
        if (_layers.Downsample is not null) register_module("4", _layers.Downsample);
    }

    /// <param name="tokens">[B, 1 + gh·gw, C]</param>
    /// <param name="gh">token rows (H/16)</param>
    /// <param name="gw">token columns (W/16)</param>
    /// <returns>[B, Cout, gh, gw], or [B, Cout, gh/2, gw/2] with the stride-2 conv</returns>
    public override Tensor forward(Tensor tokens, long gh, long gw)
    {
        using var scope = NewDisposeScope();
        var h = _layers.Readout.call(tokens).transpose(1, 2);                  // [B, C, gh·gw]
        h = h.unflatten(2, [gh, gw]);                                          // [B, C, gh, gw]
        h = _layers.Project.call(h);                                           // [B, Cout, gh, gw]
        if (_layers.Downsample is not null) h = _layers.Downsample.call(h);   // [B, Cout, gh/2, gw/2]
        return h.MoveToOuterDisposeScope();
    }
}
