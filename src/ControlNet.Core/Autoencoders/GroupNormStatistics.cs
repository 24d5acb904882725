using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// Per-GroupNorm mean and variance [B, G, 1] shared by every tile of a tiled decode, so that each tile is normalised as the
/// whole image would be (per-tile statistics shift the tiles' colours apart). Filled by one recording pass of the decoder
/// head (<see cref="Recording"/>), then read by every tile. Owns its tensors.
/// </summary>
internal sealed class GroupNormStatistics : IDisposable
{
    readonly Dictionary<VaeGroupNorm, (Tensor Mean, Tensor Variance)> _byNorm = new(ReferenceEqualityComparer.Instance);

    /// <summary>True while the recording pass runs: norms store their input's statistics and normalise with them.</summary>
    public bool Recording { get; set; } = true;

    public void Record(VaeGroupNorm norm, Tensor x, int groups)
    {
        var grouped = x.detach().reshape(x.shape[0], groups, -1);                          // [B, G, C/G·H·W]
        var (variance, mean) = var_mean(grouped, 2, unbiased: false, keepdim: true);       // [B, G, 1] each
        if (_byNorm.Remove(norm, out var old)) { old.Mean.Dispose(); old.Variance.Dispose(); }
        _byNorm[norm] = (mean.DetachFromDisposeScope(), variance.DetachFromDisposeScope());
    }

    public (Tensor Mean, Tensor Variance) For(VaeGroupNorm norm) =>
        _byNorm.TryGetValue(norm, out var s) ? s
            : throw new InvalidOperationException("A GroupNorm ran in a tile that did not run in the recording pass; the recording pass must run the same modules.");

    public void Dispose()
    {
        foreach (var (mean, variance) in _byNorm.Values) { mean.Dispose(); variance.Dispose(); }
        _byNorm.Clear();
    }
}
