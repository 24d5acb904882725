using ControlNet.Autoencoders;
using ControlNet.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Autoencoders;

public class AutoencoderKLTests
{
    public AutoencoderKLTests() => TorchRuntime.EnsureInitialized();

    static AutoencoderKL Tiny(AutoencoderConfig? config = null, int seed = 0)
    {
        torch.manual_seed(seed);
        var vae = new AutoencoderKL(config ?? AutoencoderConfig.Tiny);
        vae.eval();
        return vae;
    }

    static Tensor Image(long seed, int size = 16) => torch.rand(new long[] { 2, 3, size, size }, generator: new Generator((ulong)seed)) * 2 - 1;

    [Fact]
    public void Tiny_config_parameter_count_matches_the_formula_and_keys_are_ldm_names()
    {
        using var vae = Tiny();
        Assert.Equal(AutoencoderConfig.Tiny.ParameterCount, vae.parameters().Sum(p => p.numel()));
        var keys = vae.state_dict().Keys.ToHashSet();
        Assert.Contains("encoder.down.0.downsample.conv.weight", keys);
        Assert.DoesNotContain("encoder.down.2.downsample.conv.weight", keys);   // last level keeps its resolution
        Assert.Contains("encoder.down.1.block.0.nin_shortcut.weight", keys);    // 8 → 16 channels
        Assert.Contains("encoder.mid.attn_1.proj_out.weight", keys);
        Assert.Contains("decoder.up.2.block.1.conv2.weight", keys);             // decoder: ResBlocks + 1 blocks
        Assert.Contains("decoder.up.1.upsample.conv.weight", keys);
        Assert.DoesNotContain("decoder.up.0.upsample.conv.weight", keys);
        Assert.Contains("quant_conv.weight", keys);
        Assert.Contains("post_quant_conv.bias", keys);
    }

    [Fact]
    public void Encode_and_decode_have_the_expected_shapes_and_sampling_is_seeded()
    {
        using var vae = Tiny();
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        var image = Image(1);
        var mode = vae.Encode(image, generator: null);
        Assert.Equal(new long[] { 2, 4, 4, 4 }, mode.shape);                    // factor 4 for the tiny preset
        Assert.Equal(new long[] { 2, 3, 16, 16 }, vae.Decode(mode).shape);

        var (mean, _) = vae.EncodeMoments(image);
        Assert.True(mode.allclose(mean * 0.18215), $"mode vs mean: {(mode - mean * 0.18215).abs().max().item<float>()}");
        var a = vae.Encode(image, new Generator(3));
        var b = vae.Encode(image, new Generator(3));
        Assert.True(a.equal(b).all().item<bool>());
        Assert.False(a.allclose(mode, atol: 1e-4));
    }

    [Fact]
    public void Scaling_factor_multiplies_encoded_latents_and_divides_before_decoding()
    {
        using var unit = Tiny(AutoencoderConfig.Tiny with { ScalingFactor = 1.0 });
        using var half = Tiny(AutoencoderConfig.Tiny with { ScalingFactor = 0.5 });
        half.load_state_dict(unit.state_dict());
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        var image = Image(2);
        var e1 = unit.Encode(image, null); var e2 = half.Encode(image, null);
        Assert.True(e2.allclose(e1 * 0.5, atol: 1e-6), $"encode: {(e2 - e1 * 0.5).abs().max().item<float>()} of {e1.abs().max().item<float>()}");
        var latent = torch.randn(1, 4, 4, 4);
        Assert.True(half.Decode(latent * 0.5).allclose(unit.Decode(latent), atol: 1e-5));
    }

    [Fact]
    public void Downsample_pads_only_right_and_bottom()
    {
        torch.manual_seed(4);
        using var down = new VaeDownsample(3);
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        var x = torch.randn(1, 3, 8, 8);
        var weight = down.state_dict()["conv.weight"];
        var bias = down.state_dict()["conv.bias"];
        var manual = nn.functional.conv2d(nn.functional.pad(x, [0, 1, 0, 1]), weight, bias, strides: [2, 2]);
        var symmetric = nn.functional.conv2d(x, weight, bias, strides: [2, 2], padding: [1, 1]);
        var actual = down.call(x);
        Assert.Equal(new long[] { 1, 3, 4, 4 }, actual.shape);
        Assert.True(actual.allclose(manual, atol: 1e-6));
        Assert.False(actual.allclose(symmetric, atol: 1e-3));
    }

    [Fact]
    public void Attention_block_matches_a_hand_written_single_head_attention()
    {
        torch.manual_seed(8);
        using var block = new VaeAttentionBlock(8, 4);
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        var sd = block.state_dict();
        var g = new Generator(12);
        foreach (var (name, p) in sd.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            p.copy_(torch.randn(p.shape, generator: g) * 0.3 + (name == "norm.weight" ? 1.0 : 0.0));
        var x = torch.randn(new long[] { 1, 8, 3, 5 }, generator: g);

        Tensor W(string k) => sd[k].to_type(ScalarType.Float64);
        var x64 = x.to_type(ScalarType.Float64)[0].reshape(8, 15);                 // [C, N]
        var groups = x64.reshape(4, 2 * 15);                                      // GroupNorm over (channels of a group × pixels)
        var normed = ((groups - groups.mean([1], keepdim: true)) / (groups.var(1, unbiased: false, keepdim: true) + 1e-6).sqrt()).reshape(8, 15);
        normed = normed * W("norm.weight").unsqueeze(1) + W("norm.bias").unsqueeze(1);
        Tensor Proj(string k, Tensor t) => W(k + ".weight").reshape(8, 8).matmul(t) + W(k + ".bias").unsqueeze(1);
        var q = Proj("q", normed); var k = Proj("k", normed); var v = Proj("v", normed);
        var attention = (q.t().matmul(k) / Math.Sqrt(8)).softmax(-1);              // [N query, N key]
        var expected = x64 + Proj("proj_out", v.matmul(attention.t()));            // [C, N]

        var actual = block.call(x)[0].reshape(8, 15).to_type(ScalarType.Float64);
        Assert.True(actual.allclose(expected, atol: 1e-5), $"max |Δ| {(actual - expected).abs().max().item<double>()}");
    }

    [Fact]
    public void Tiled_decode_matches_full_decode()
    {
        using var vae = Tiny();
        using var scope = NewDisposeScope();
        using var _ = torch.no_grad();
        Assert.Equal(8, AutoencoderConfig.Tiny.DecoderReceptiveRadius);
        Assert.Equal(13, AutoencoderConfig.StableDiffusion.DecoderReceptiveRadius);
        var latent = torch.randn(new long[] { 1, 4, 32, 32 }, generator: new Generator(5));
        var full = vae.Decode(latent);                                          // [1, 3, 128, 128]

        Assert.True(vae.DecodeTiled(latent, tileSize: 32).equal(full).all().item<bool>(), "one tile must equal the full decode");

        // Context covering the whole latent: every tile sees the full image (same GroupNorm statistics), so cropping and
        // placing the 16 cores must reproduce the full decode to float precision.
        var stitched = vae.DecodeTiled(latent, tileSize: 8, context: 32);
        Assert.True(stitched.allclose(full, rtol: 1e-4, atol: 1e-5), $"stitched max |Δ| {(stitched - full).abs().max().item<float>()}");

        // 4×4 tiles of 8 latent pixels with the default 8 pixels of context: convolutions see what they see in the full
        // decode, only the GroupNorm statistics are per tile. On this random tiny model (4 groups of 2–4 channels, the
        // worst case for per-tile statistics) the mean error stays under 8 % of the mean magnitude.
        var tiled = vae.DecodeTiled(latent, tileSize: 8);
        Assert.Equal(full.shape, tiled.shape);
        double meanDiff = (tiled - full).abs().mean().item<float>();
        double scale = full.abs().mean().item<float>();
        Assert.True(meanDiff < 0.08 * scale, $"tiled vs full: mean |Δ| {meanDiff}, mean |full| {scale}");

        // Without context the tile borders differ much more: the context is what makes tiling faithful.
        double noContext = (vae.DecodeTiled(latent, tileSize: 8, context: 0) - full).abs().mean().item<float>();
        Assert.True(noContext > 2 * meanDiff, $"no-context mean |Δ| {noContext} vs with context {meanDiff}");
    }

    [Fact]
    public void Sizes_that_are_not_multiples_of_the_factor_are_rejected_with_the_fix()
    {
        using var vae = Tiny();
        var ex = Assert.Throws<ArgumentException>(() => vae.Encode(torch.zeros(1, 3, 18, 16), null));
        Assert.Contains("multiple of 4", ex.Message);
        Assert.Throws<ArgumentException>(() => vae.Decode(torch.zeros(1, 3, 4, 4)));   // wrong channel count
    }

    [Fact]
    public void Identity_autoencoder_passes_pixels_through()
    {
        IAutoencoder identity = new IdentityAutoencoder();
        using var scope = NewDisposeScope();
        var image = Image(6);
        Assert.Equal(1, identity.DownscaleFactor);
        Assert.Equal(3, identity.LatentChannels);
        Assert.True(identity.Encode(image, new Generator(1)).equal(image).all().item<bool>());
        Assert.True(identity.Decode(image).equal(image).all().item<bool>());
    }

    [Fact]
    public void Diffusers_vae_config_maps_to_the_ldm_layout()
    {
        const string json = """
            {"_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [128, 256, 512, 512],
             "in_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32,
             "out_channels": 3, "sample_size": 512, "scaling_factor": 0.18215}
            """;
        var config = AutoencoderConfig.FromDiffusersJson(json);
        Assert.Equal(AutoencoderConfig.StableDiffusion.ChannelMultipliers, config.ChannelMultipliers);
        Assert.Equal(AutoencoderConfig.StableDiffusion with { ChannelMultipliers = config.ChannelMultipliers }, config);
        Assert.Equal(83_653_863L, config.ParameterCount);
        Assert.Throws<InvalidDataException>(() => AutoencoderConfig.FromDiffusersJson("""{"block_out_channels": [128, 200]}"""));
    }
}
