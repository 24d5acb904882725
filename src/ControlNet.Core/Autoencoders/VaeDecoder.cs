using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>
/// LDM <c>Decoder</c>: z [B, z, h, w] → image [B, 3, h·f, w·f]. <c>up.i</c> is stored by resolution index, so
/// <c>up.{levels−1}</c> runs first (LDM builds the list with insert(0, …)); no tanh at the end.
/// </summary>
public sealed class VaeDecoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv_in;
    private readonly VaeMidBlock mid;
    private readonly ModuleList<VaeLevel> up;
    private readonly VaeGroupNorm norm_out;
    private readonly Conv2d conv_out;

    public VaeDecoder(AutoencoderConfig config) : base(nameof(VaeDecoder))
    {
        int levels = config.ChannelMultipliers.Count;
        int channels = config.MidChannels;
        conv_in = nn.Conv2d(config.LatentChannels, channels, 3, padding: 1);
        mid = new VaeMidBlock(channels, config.NormGroups);
        var byResolution = new VaeLevel[levels];
        for (int i = levels - 1; i >= 0; i--)
        {
            int output = config.BaseChannels * config.ChannelMultipliers[i];
            byResolution[i] = VaeLevel.Up(channels, output, config.ResBlocks + 1, config.NormGroups, resample: i != 0);
            channels = output;
        }
        up = nn.ModuleList(byResolution);
        norm_out = new VaeGroupNorm(config.NormGroups, channels);
        conv_out = nn.Conv2d(channels, config.OutChannels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor z) => Head(Stem(z));

    /// <summary>conv_in + mid block at latent resolution (holds the only global operation: the mid attention).</summary>
    public Tensor Stem(Tensor z) => mid.call(conv_in.call(z));                // [B, mid, h, w]

    /// <summary>Makes every GroupNorm of the up path and output head use <paramref name="statistics"/> (null: their own again).</summary>
    internal void ShareHeadStatistics(GroupNormStatistics? statistics)
    {
        foreach (var norm in up.modules().OfType<VaeGroupNorm>().Append(norm_out))
            norm.SharedStatistics = statistics;
    }

    /// <summary>The up path and output head: convolutions and GroupNorms only.</summary>
    public Tensor Head(Tensor h)
    {
        for (int i = up.Count - 1; i >= 0; i--) h = up[i].call(h);             // [B, ch, h·f, w·f]
        return conv_out.call(nn.functional.silu(norm_out.call(h)));           // [B, 3, h·f, w·f]
    }
}
