using ControlNet.Autoencoders;
using ControlNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Autoencoders;

/// <summary>
/// Tiled VAE decode with GroupNorm statistics shared by the tiles, and the tile plan chosen by its MAC ratio
/// (docs/performance.md, "Decoder"). Tiny random VAE (factor 4, receptive radius 8 latent px), latent 32×32.
/// </summary>
public class TiledDecodeTests
{
    public TiledDecodeTests() => TorchRuntime.EnsureInitialized();

    static AutoencoderKL Vae()
    {
        torch.manual_seed(0);
        var vae = new AutoencoderKL(AutoencoderConfig.Tiny);
        vae.eval();
        return vae;
    }

    // A latent with the spatial correlation of an image's (white noise at 8×8, bilinearly upsampled) plus a little fine noise.
    static Tensor SmoothLatent()
    {
        var g = new Generator(7);
        var coarse = torch.randn(new long[] { 1, 4, 8, 8 }, generator: g);
        var fine = torch.randn(new long[] { 1, 4, 32, 32 }, generator: g);
        return nn.functional.interpolate(coarse, new long[] { 32, 32 }, mode: InterpolationMode.Bilinear, align_corners: false) + 0.2 * fine;   // [1, 4, 32, 32]
    }

    // Pixels farther than `band` image pixels from every interior tile border (where the tiles meet).
    static Tensor AwayFromSeams(long size, int tilePixels, int band)
    {
        var index = torch.arange(size);
        var inTile = index % tilePixels;
        var first = index < tilePixels;                                                                // no seam on its left: the image edge
        var last = (index - inTile + tilePixels) >= size;                                              // no seam on its right
        var far = (first | (inTile >= band)) & (last | (tilePixels - 1 - inTile >= band));
        return far.unsqueeze(1) & far.unsqueeze(0);                                                    // [H, W]
    }

    [Fact]
    public void Plan_picks_equal_tiles_and_the_largest_context_within_the_mac_ratio()
    {
        var sd = VaeTilePlan.Choose(AutoencoderConfig.StableDiffusion, 64, 64);                        // 512×512
        Assert.Equal((32, 3), (sd.TileSize, sd.Context));
        Assert.Equal(35.0 * 35 * 4 / (64 * 64), sd.MacRatio, 6);                                       // each core + 3 px on its two inner sides
        Assert.True(VaeTilePlan.Ratio(64, 64, 32, 4) > 1.2);                                           // one more pixel would exceed the budget
        Assert.Equal(2.0 * 45 * 45 * 2 / (64 * 64), VaeTilePlan.Ratio(64, 64, 32, 13), 6);             // the receptive radius: ≈ 2×
        var one = VaeTilePlan.Choose(AutoencoderConfig.StableDiffusion, 32, 24);
        Assert.Equal((32, 0, 1.0), (one.TileSize, one.Context, one.MacRatio));
        var uneven = VaeTilePlan.Choose(AutoencoderConfig.StableDiffusion, 96, 40, maxTile: 32);       // 3 × 2 tiles of 32 rows / 20 columns → side 32
        Assert.Equal(32, uneven.TileSize);
        Assert.True(uneven.MacRatio <= 1.2);
        var wide = VaeTilePlan.Choose(AutoencoderConfig.StableDiffusion, 64, 64, maxMacRatio: 3);
        Assert.Equal(13, wide.Context);                                                                // capped at the receptive radius
    }

    [Fact]
    public void Statistics_of_the_whole_image_make_the_tiled_decode_equal_the_whole_one()
    {
        using var vae = Vae();
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        var latent = torch.randn(new long[] { 1, 4, 32, 32 }, generator: new Generator(5));
        var full = vae.Decode(latent);                                                                 // [1, 3, 128, 128]
        // 4×4 tiles with the receptive radius as context: convolutions see what the whole decode sees, and the shared
        // statistics are the whole image's: the same numbers up to float summation order.
        var tiled = vae.DecodeTiled(latent, tileSize: 8, statistics: TileNormStatistics.WholeImage);
        double err = (tiled - full).abs().max().item<float>();
        Assert.True(err < 1e-4, $"max |Δ| {err}");
        // The per-tile default is what differs: the statistics were the only approximation.
        double perTile = (vae.DecodeTiled(latent, tileSize: 8) - full).abs().max().item<float>();
        Assert.True(perTile > 100 * err, $"per-tile max |Δ| {perTile} vs shared {err}");
        // Sharing leaves the module as it was: a plain decode afterwards is unchanged.
        Assert.True(vae.Decode(latent).equal(full).all().item<bool>());
    }

    [Fact]
    public void Planned_tiled_decode_equals_the_whole_decode_away_from_the_seams_within_the_documented_tolerance()
    {
        using var vae = Vae();
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        var latent = SmoothLatent();
        var full = vae.Decode(latent).clamp(-1, 1);                                                    // [1, 3, 128, 128]
        var plan = VaeTilePlan.Choose(AutoencoderConfig.Tiny, 32, 32, maxTile: 16);                    // 2×2 tiles of 16, 1 px context
        Assert.Equal((16, 1), (plan.TileSize, plan.Context));
        var tiled = vae.DecodeTiled(latent, plan).clamp(-1, 1);

        // Away from the seams (beyond the receptive radius minus the context: 7 latent px = 28 image px from where tiles
        // meet) the convolutions see what the whole decode sees; what remains is the per-tile GroupNorm statistics.
        int band = (AutoencoderConfig.Tiny.DecoderReceptiveRadius - plan.Context) * 4;
        var away = AwayFromSeams(128, plan.TileSize * 4, band);                                        // [128, 128]
        Assert.True(away.sum().item<long>() > 128 * 128 / 4, "the away-from-seams region is a real share of the image");
        var error = (tiled - full).abs().amax(new long[] { 0, 1 }) * 127.5;                            // [128, 128], 8-bit levels
        double awayMean = error.masked_select(away).mean().item<float>(), awayMax = error.masked_select(away).max().item<float>();
        double seamMean = error.masked_select(away.logical_not()).mean().item<float>();
        // Documented tolerance (docs/performance.md): away from the seams, mean ≤ 10 and max ≤ 60 levels of 255
        // (measured 7.5 and 44 on this random model: per-tile statistics of a random tiny VAE, the worst case).
        Assert.True(awayMean <= 10 && awayMax <= 60, $"away from the seams: mean {awayMean:0.00}, max {awayMax:0.00} levels; near them mean {seamMean:0.00}");
        // With the whole image's statistics the same tiles are exact away from the seams: the rest was the statistics.
        var shared = vae.DecodeTiled(latent, plan.TileSize, plan.Context, TileNormStatistics.WholeImage).clamp(-1, 1);
        double sharedAway = ((shared - full).abs().amax(new long[] { 0, 1 }) * 127.5).masked_select(away).max().item<float>();
        Assert.True(sharedAway < 0.01, $"whole-image statistics, away from the seams: max {sharedAway} levels");
    }
}
