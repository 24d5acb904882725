namespace ControlNet.Autoencoders;

/// <summary>Where the GroupNorm statistics of a tiled decode's up path come from (<see cref="AutoencoderKL.DecodeTiled(TorchSharp.torch.Tensor, int, int?, TileNormStatistics)"/>).</summary>
public enum TileNormStatistics
{
    /// <summary>Each tile's own (tile plus context): no extra pass and bounded memory, but tiles of different content normalise differently.</summary>
    PerTile,
    /// <summary>
    /// Shared by all tiles, recorded by one pass of the up path over the whole latent: with the full context the tiled
    /// decode then equals the whole one to float precision. Costs (and holds in memory) a whole decode first, so it shows
    /// that the statistics are the tiled decode's only approximation rather than saving anything. (Estimating them from a
    /// 2× or 4× downscaled pass, the multidiffusion-upscaler "fast mode", was tried and was further from the whole decode
    /// than per-tile statistics on the test model; docs/performance.md.)
    /// </summary>
    WholeImage,
}
