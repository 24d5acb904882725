namespace ControlNet.Autoencoders;

/// <summary>
/// Tile size and context of a tiled VAE decode, chosen by their cost. The up path is convolutions only, so its MACs are
/// proportional to the area it runs on: the cost of tiling is <see cref="MacRatio"/> = Σ (tile + context, clipped to the
/// latent)² ÷ latent area, the overlap recomputed around every tile. Memory is bounded by the largest region,
/// (tile + 2·context)² latent pixels instead of the whole latent.
/// </summary>
/// <param name="TileSize">core side in latent pixels</param>
/// <param name="Context">latent pixels of context decoded around each core and cropped away</param>
/// <param name="MacRatio">up-path MACs of the tiled decode ÷ those of the whole decode</param>
public sealed record VaeTilePlan(int TileSize, int Context, double MacRatio)
{
    /// <summary>Up-path MACs of tiles of <paramref name="tileSize"/> with <paramref name="context"/> over a latent of
    /// <paramref name="height"/> × <paramref name="width"/>, ÷ the whole latent's (tiles laid from the top-left corner, as DecodeTiled does).</summary>
    public static double Ratio(int height, int width, int tileSize, int context)
    {
        if (height < 1 || width < 1 || tileSize < 1 || context < 0)
            throw new ArgumentOutOfRangeException(nameof(tileSize), $"Need a latent of at least 1×1, tile size ≥ 1 and context ≥ 0; got {width}×{height}, {tileSize}, {context}.");
        if (height <= tileSize && width <= tileSize) return 1;
        double area = 0;
        for (int y0 = 0; y0 < height; y0 += tileSize)
            for (int x0 = 0; x0 < width; x0 += tileSize)
            {
                int ry = Math.Min(height, y0 + tileSize + context) - Math.Max(0, y0 - context);
                int rx = Math.Min(width, x0 + tileSize + context) - Math.Max(0, x0 - context);
                area += (double)ry * rx;
            }
        return area / ((double)height * width);
    }

    /// <summary>
    /// The plan for a latent of <paramref name="height"/> × <paramref name="width"/>: equal tiles no larger than
    /// <paramref name="maxTile"/> (the memory bound), and the largest context up to the decoder's receptive radius whose
    /// <see cref="MacRatio"/> stays within <paramref name="maxMacRatio"/> (the time bound). At 512×512 (latent 64) with the
    /// defaults: 2×2 tiles of 32 and 3 px of context, ratio 1.20. A latent that fits one tile gets one tile (ratio 1, exact).
    /// </summary>
    public static VaeTilePlan Choose(AutoencoderConfig config, int height, int width, int maxTile = 32, double maxMacRatio = 1.2)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (maxTile < 1 || !(maxMacRatio >= 1))
            throw new ArgumentOutOfRangeException(nameof(maxTile), $"Need a tile of at least 1 latent pixel and a MAC ratio ≥ 1; got {maxTile} and {maxMacRatio}.");
        int tilesY = (height + maxTile - 1) / maxTile, tilesX = (width + maxTile - 1) / maxTile;
        int tile = Math.Max((height + tilesY - 1) / tilesY, (width + tilesX - 1) / tilesX);   // equal tiles, none a sliver
        if (height <= tile && width <= tile) return new VaeTilePlan(tile, 0, 1);
        int context = 0;
        for (int c = 1; c <= config.DecoderReceptiveRadius && Ratio(height, width, tile, c) <= maxMacRatio; c++) context = c;
        return new VaeTilePlan(tile, context, Ratio(height, width, tile, context));
    }
}
