using System.Collections.Immutable;
using ControlNet.Checkpoints;
using ControlNet.Models;

namespace ControlNet.Models.Adapters;

/// <summary>The two T2I-Adapter bodies (TencentARC ldm/modules/encoders/adapter.py; diffusers models/adapter.py).</summary>
public enum T2IAdapterType
{
    /// <summary>TencentARC <c>Adapter</c> / diffusers <c>full_adapter</c>: conv_in, then per level R residual blocks (3×3 conv, ReLU, 1×1 conv); depth, canny, sketch, openpose, seg, …</summary>
    Full,
    /// <summary>TencentARC <c>Adapter_light</c> / diffusers <c>light_adapter</c>: per level 1×1 in, R residual blocks (two 3×3 convs) at a quarter of the width, 1×1 out; color</summary>
    Light,
}

/// <summary>
/// Hyper-parameters of a T2I-Adapter (Mou et al. 2023), immutable. SD 1.x files: <see cref="Channels"/> 320/640/1280/1280,
/// pixel-unshuffle factor 8; full adapters have 2 residual blocks per level, the light (color) adapter 4.
/// </summary>
/// <param name="InChannels">channels of the condition image (3 for RGB maps, 1 for the canny and sketch adapters)</param>
/// <param name="Channels">width of each level's feature, one per U-Net level (diffusers' light config lists only the first L−1: its last block repeats the last width)</param>
/// <param name="NumResBlocks">residual blocks per level</param>
/// <param name="DownscaleFactor">pixel-unshuffle factor: condition pixels per latent pixel (8 for SD, 1 in pixel space)</param>
public sealed record T2IAdapterConfig(T2IAdapterType Type, int InChannels, ImmutableArray<int> Channels, int NumResBlocks, int DownscaleFactor = 8)
{
    /// <summary>TencentARC's SD 1.4 full adapter (<c>t2iadapter_depth_sd14v1.pth</c> and friends); in_channels 1 for canny and sketch.</summary>
    public static T2IAdapterConfig Sd14Full(int inChannels = 3) => new(T2IAdapterType.Full, inChannels, [320, 640, 1280, 1280], 2);

    /// <summary>TencentARC's SD 1.4 light adapter (<c>t2iadapter_color_sd14v1.pth</c>).</summary>
    public static T2IAdapterConfig Sd14Light(int inChannels = 3) => new(T2IAdapterType.Light, inChannels, [320, 640, 1280, 1280], 4);

    public int Levels => Channels.Length;

    /// <summary>Channels after the pixel unshuffle: the input width of the first conv.</summary>
    public int UnshuffledChannels => InChannels * DownscaleFactor * DownscaleFactor;

    /// <summary>
    /// The config of adapter weights in canonical (TencentARC) names, for a U-Net of <paramref name="unet"/>'s levels and latent
    /// factor. Throws a one-line error naming the problem when the weights are not an adapter for such a U-Net.
    /// </summary>
    public static T2IAdapterConfig FromWeights(ComponentWeights weights, UNetArchitecture unet)
    {
        int f = unet.HintDownsampling, levels = unet.Levels;
        var names = weights.ByName.Keys.ToList();
        if (weights.ByName.ContainsKey("body.0.out_conv.weight"))
        {
            int count = BodyCount(names, levels, weights.Source);
            int r = names.Count(n => n.StartsWith("body.0.body.", StringComparison.Ordinal) && n.EndsWith(".block1.weight", StringComparison.Ordinal));
            var first = weights.Require("body.0.in_conv.weight", 4, "the light adapter's first conv");
            var channels = Enumerable.Range(0, count).Select(i => (int)weights.Require($"body.{i}.out_conv.weight", 4, $"level {i}'s output width").Shape[0]);
            return new(T2IAdapterType.Light, InputChannels(first.Shape[1], f, weights.Source), [.. channels], r, f);
        }
        var convIn = weights.Require("conv_in.weight", 4, "the adapter's first conv");
        int blocks = BodyCount(names, null, weights.Source);
        if (blocks % levels != 0)
            throw new InvalidDataException($"'{weights.Source}': the T2I-Adapter has {blocks} residual blocks, not a multiple of the U-Net's {levels} levels; it is for another base model.");
        int perLevel = blocks / levels;
        var widths = Enumerable.Range(0, levels).Select(l => (int)weights.Require($"body.{l * perLevel}.block1.weight", 4, $"level {l}'s width").Shape[0]);
        return new(T2IAdapterType.Full, InputChannels(convIn.Shape[1], f, weights.Source), [.. widths], perLevel, f);
    }

    /// <summary>
    /// The config of adapter weights when no U-Net is at hand (conversion): the first catalogue architecture (SD 1.x first)
    /// whose levels, widths and latent factor they fit; a one-line error when none does.
    /// </summary>
    public static T2IAdapterConfig FromWeights(ComponentWeights weights)
    {
        string? why = null;
        foreach (var entry in ArchitectureCatalog.All)
        {
            try
            {
                var config = FromWeights(weights, entry.Architecture);
                if ((why = config.Mismatch(entry.Architecture)) is null) return config;
            }
            catch (InvalidDataException e) { why ??= e.Message; }
        }
        throw new InvalidDataException($"'{weights.Source}': the T2I-Adapter fits none of the known base models ({string.Join(", ", ArchitectureCatalog.Names)}): {why?.TrimEnd('.')}.");
    }

    static int BodyCount(List<string> names, int? expected, string source)
    {
        var count = names.Where(n => n.StartsWith("body.", StringComparison.Ordinal))
            .Select(n => int.TryParse(n.Split('.')[1], out var i) ? i + 1 : 0).DefaultIfEmpty(0).Max();
        if (count == 0) throw new InvalidDataException($"'{source}': the T2I-Adapter weights have no body.* blocks; the file is not a complete adapter.");
        if (expected is { } e && count != e)
            throw new InvalidDataException($"'{source}': the light T2I-Adapter has {count} levels but the U-Net has {e}; it is for another base model.");
        return count;
    }

    static int InputChannels(long unshuffled, int f, string source)
    {
        // SDXL adapters unshuffle by 16 (3·16² = 768 inputs); SD 1.x ones by 8 (3·8² = 192, 1·8² = 64).
        if (f == 8 && unshuffled % 256 == 0)
            throw new InvalidDataException($"'{source}' is an SDXL T2I-Adapter (its first conv takes {unshuffled} = {unshuffled / 256}·16² channels, pixel unshuffle 16); use an SD 1.x adapter such as t2iadapter_depth_sd14v1.pth.");
        if (unshuffled % (f * f) != 0)
            throw new InvalidDataException($"'{source}': the adapter's first conv takes {unshuffled} channels, not a multiple of {f}² (pixel unshuffle {f}); it is for another base model.");
        return (int)(unshuffled / (f * f));
    }

    public bool Equals(T2IAdapterConfig? other) =>
        other is not null && Type == other.Type && InChannels == other.InChannels && Channels.SequenceEqual(other.Channels) &&
        NumResBlocks == other.NumResBlocks && DownscaleFactor == other.DownscaleFactor;

    public override int GetHashCode() => HashCode.Combine(Type, InChannels, Channels.Length, NumResBlocks, DownscaleFactor);

    /// <summary>Why this adapter cannot steer <paramref name="unet"/>, or null.</summary>
    public string? Mismatch(UNetArchitecture unet)
    {
        var widths = unet.ChannelMult.Select(m => m * unet.ModelChannels).ToArray();
        if (!Channels.SequenceEqual(widths))
            return $"its level widths ({string.Join(", ", Channels)}) differ from the U-Net's ({string.Join(", ", widths)}); use an adapter for this base model";
        if (DownscaleFactor != unet.HintDownsampling)
            return $"it unshuffles the condition by {DownscaleFactor} but the U-Net's latent is 1/{unet.HintDownsampling} of the image; use an adapter for this base model";
        return null;
    }
}
