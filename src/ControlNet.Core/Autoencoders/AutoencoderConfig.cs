using System.Text.Json;

namespace ControlNet.Autoencoders;

/// <summary>
/// LDM <c>ddconfig</c> of the KL autoencoder (REFERENCE §5). <see cref="ChannelMultipliers"/> gives one resolution level each;
/// every level but the last halves the resolution, so the downscale factor is 2^(levels−1).
/// </summary>
public sealed record AutoencoderConfig(
    int InChannels,
    int OutChannels,
    int BaseChannels,
    IReadOnlyList<int> ChannelMultipliers,
    int ResBlocks,
    int LatentChannels,
    double ScalingFactor,
    int NormGroups = 32)
{
    /// <summary>SD 1.x VAE: ch 128, mult [1,2,4,4], 2 res blocks, z 4, scale 0.18215 (83,653,863 parameters).</summary>
    public static AutoencoderConfig StableDiffusion { get; } = new(3, 3, 128, [1, 2, 4, 4], 2, 4, 0.18215);

    /// <summary>Three levels of 8/16/16 channels, 1 res block, 4 groups: factor 4, for tests.</summary>
    public static AutoencoderConfig Tiny { get; } = new(3, 3, 8, [1, 2, 2], 1, 4, 0.18215, NormGroups: 4);

    public int DownscaleFactor => 1 << (ChannelMultipliers.Count - 1);

    /// <summary>
    /// Reads a diffusers <c>vae/config.json</c> (<c>block_out_channels</c>, <c>layers_per_block</c>, <c>latent_channels</c>,
    /// <c>in_channels</c>, <c>out_channels</c>, <c>norm_num_groups</c>, <c>scaling_factor</c>; other keys are ignored).
    /// </summary>
    public static AutoencoderConfig FromDiffusersJson(string json, string source = "The VAE config.json")
    {
        // Wrong JSON types (a string where a number belongs) surface as InvalidOperationException from JsonElement.
        try { return ParseDiffusersJson(json); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{source}: {e.Message}", e); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source} is not a valid diffusers AutoencoderKL config ({e.Message}); fields are numbers and block_out_channels an array of numbers.", e);
        }
    }

    static AutoencoderConfig ParseDiffusersJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        int Int(string key, int fallback) => root.TryGetProperty(key, out var v) ? v.GetInt32() : fallback;
        if (!root.TryGetProperty("block_out_channels", out var blocks) || blocks.GetArrayLength() == 0)
            throw new InvalidDataException("The VAE config.json has no block_out_channels; expected e.g. [128, 256, 512, 512] (diffusers AutoencoderKL).");
        var channels = blocks.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int baseChannels = channels[0];
        if (channels.Any(c => c <= 0))
            throw new InvalidDataException($"block_out_channels [{string.Join(", ", channels)}] must be positive.");
        if (channels.Any(c => c % baseChannels != 0))
            throw new InvalidDataException($"block_out_channels [{string.Join(", ", channels)}] are not multiples of the first entry {baseChannels}; LDM's ch × ch_mult layout cannot express them.");
        double scaling = root.TryGetProperty("scaling_factor", out var s) ? s.GetDouble() : 0.18215;
        return new AutoencoderConfig(Int("in_channels", 3), Int("out_channels", 3), baseChannels,
            channels.Select(c => c / baseChannels).ToArray(), Int("layers_per_block", 2), Int("latent_channels", 4), scaling,
            Int("norm_num_groups", 32)).Validate();
    }

    /// <summary>The diffusers <c>config.json</c> of this VAE (the fields <see cref="FromDiffusersJson"/> reads).</summary>
    public string ToDiffusersJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["_class_name"] = "AutoencoderKL", ["in_channels"] = InChannels, ["out_channels"] = OutChannels,
        ["block_out_channels"] = ChannelMultipliers.Select(m => m * BaseChannels).ToArray(), ["layers_per_block"] = ResBlocks,
        ["latent_channels"] = LatentChannels, ["norm_num_groups"] = NormGroups, ["scaling_factor"] = ScalingFactor,
    }, new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Channels at the lowest resolution (mid block; 512 for SD).</summary>
    public int MidChannels => BaseChannels * ChannelMultipliers[^1];

    /// <summary>
    /// How far, in latent pixels, the decoder's up path and output head see: each 3×3 conv reaches one pixel at its own
    /// resolution (13 for SD). Tiled decoding gives each tile this much context so that convolutions match a full decode.
    /// </summary>
    public int DecoderReceptiveRadius
    {
        get
        {
            int levels = ChannelMultipliers.Count;
            double radius = 0;
            for (int i = levels - 1; i >= 0; i--)
            {
                double scale = 1 << (levels - 1 - i);              // image pixels per latent pixel at this level
                radius += 2 * (ResBlocks + 1) / scale;             // two 3×3 convs per res block
                if (i != 0) radius += 1 / (2 * scale);             // upsample conv after the ×2
            }
            radius += 1.0 / (1 << (levels - 1));                   // conv_out
            return (int)Math.Ceiling(radius);
        }
    }

    public AutoencoderConfig Validate()
    {
        if (InChannels < 1 || OutChannels < 1 || BaseChannels < 1 || ResBlocks < 1 || LatentChannels < 1 || NormGroups < 1 || ChannelMultipliers.Count < 1 || ChannelMultipliers.Any(m => m < 1))
            throw new ArgumentException($"Autoencoder sizes must be positive: {this} (multipliers [{string.Join(", ", ChannelMultipliers)}]).");
        foreach (var c in ChannelMultipliers.Select(m => m * BaseChannels).Prepend(BaseChannels))
            if (c % NormGroups != 0)
                throw new ArgumentException($"Channel count {c} is not divisible by {NormGroups} GroupNorm groups; choose base channels and multipliers that are (SD: 128·[1,2,4,4], 32 groups).");
        if (!(ScalingFactor > 0))
            throw new ArgumentException($"Scaling factor must be positive, got {ScalingFactor} (SD 1.x: 0.18215).");
        return this;
    }

    /// <summary>Parameter count implied by the structure, without building the model.</summary>
    public long ParameterCount
    {
        get
        {
            long Conv(long i, long o, long k) => i * o * k * k + o;
            long Norm(long c) => 2 * c;
            long Res(long i, long o) => Norm(i) + Conv(i, o, 3) + Norm(o) + Conv(o, o, 3) + (i != o ? Conv(i, o, 1) : 0);
            long Attn(long c) => Norm(c) + 4 * Conv(c, c, 1);
            long Mid(long c) => 2 * Res(c, c) + Attn(c);
            int levels = ChannelMultipliers.Count;
            long mid = MidChannels;

            long encoder = Conv(InChannels, BaseChannels, 3);
            long channels = BaseChannels;
            for (int i = 0; i < levels; i++)
            {
                long output = (long)BaseChannels * ChannelMultipliers[i];
                for (int j = 0; j < ResBlocks; j++) { encoder += Res(channels, output); channels = output; }
                if (i != levels - 1) encoder += Conv(channels, channels, 3);
            }
            encoder += Mid(mid) + Norm(mid) + Conv(mid, 2 * LatentChannels, 3);

            long decoder = Conv(LatentChannels, mid, 3) + Mid(mid);
            channels = mid;
            for (int i = levels - 1; i >= 0; i--)
            {
                long output = (long)BaseChannels * ChannelMultipliers[i];
                for (int j = 0; j < ResBlocks + 1; j++) { decoder += Res(channels, output); channels = output; }
                if (i != 0) decoder += Conv(channels, channels, 3);
            }
            decoder += Norm(BaseChannels) + Conv(BaseChannels, OutChannels, 3);

            long quant = Conv(2 * LatentChannels, 2 * LatentChannels, 1) + Conv(LatentChannels, LatentChannels, 1);
            return encoder + decoder + quant;
        }
    }
}
