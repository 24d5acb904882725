using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Autoencoders;

/// <summary>LDM <c>Encoder</c> (double_z): image [B, 3, H, W] → moments [B, 2·z, H/f, W/f] (before quant_conv).</summary>
public sealed class VaeEncoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv_in;
    private readonly ModuleList<VaeLevel> down;
    private readonly VaeMidBlock mid;
    private readonly VaeGroupNorm norm_out;
    private readonly Conv2d conv_out;

    public VaeEncoder(AutoencoderConfig config) : base(nameof(VaeEncoder))
    {
        int levels = config.ChannelMultipliers.Count;
        conv_in = nn.Conv2d(config.InChannels, config.BaseChannels, 3, padding: 1);
        var list = new List<VaeLevel>();
        int channels = config.BaseChannels;
        for (int i = 0; i < levels; i++)
        {
            int output = config.BaseChannels * config.ChannelMultipliers[i];
            list.Add(VaeLevel.Down(channels, output, config.ResBlocks, config.NormGroups, resample: i != levels - 1));
            channels = output;
        }
        down = nn.ModuleList(list.ToArray());
        mid = new VaeMidBlock(channels, config.NormGroups);
        norm_out = new VaeGroupNorm(config.NormGroups, channels);
        conv_out = nn.Conv2d(channels, 2 * config.LatentChannels, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor image)
    {
        var h = conv_in.call(image);                                   // [B, ch, H, W]
        foreach (var level in down) h = level.call(h);                 // [B, ch·mult[-1], H/f, W/f]
        h = mid.call(h);
        return conv_out.call(nn.functional.silu(norm_out.call(h)));   // [B, 2z, H/f, W/f]
    }
}
