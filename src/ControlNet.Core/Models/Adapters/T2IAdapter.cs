using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Models.Adapters;

/// <summary>
/// T2I-Adapter (Mou et al. 2023; TencentARC <c>Adapter</c> / <c>Adapter_light</c>, diffusers <c>T2IAdapter</c>): a small
/// network that turns the condition image into one feature map per U-Net level, computed once per generation. Feature l
/// is added to the output of the input block that ends level l (SD: input blocks 2, 5, 8, 11), so it flows on through
/// the encoder and into the skips. Parameter names are TencentARC's keys (<c>conv_in</c>, <c>body.k.block1</c>, …);
/// diffusers files map through <see cref="ControlNet.Checkpoints.KeyMap"/>.
/// </summary>
public sealed class T2IAdapter : nn.Module, IConditionAdapter
{
    private readonly Conv2d? conv_in;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> body;
    private readonly IReadOnlyList<int> _locations;
    private readonly int _inputBlocks;

    /// <param name="unet">the U-Net the features are added to: fixes where each level's feature goes</param>
    /// <exception cref="ArgumentException">the adapter does not fit <paramref name="unet"/> (widths, levels or latent factor)</exception>
    public T2IAdapter(T2IAdapterConfig config, UNetArchitecture unet, Device? device = null, ScalarType? dtype = null) : base(nameof(T2IAdapter))
    {
        if (config.Mismatch(unet) is { } why) throw new ArgumentException($"The T2I-Adapter does not fit the U-Net: {why}.", nameof(config));
        (Config, Architecture) = (config, unet);
        (_locations, _inputBlocks) = (unet.LevelEndBlocks(), unet.InputBlockCount);
        var c = config.Channels;
        body = new ModuleList<nn.Module<Tensor, Tensor>>();
        if (config.Type == T2IAdapterType.Full)
        {
            conv_in = nn.Conv2d(config.UnshuffledChannels, c[0], 3, padding: 1, device: device, dtype: dtype);
            // TencentARC numbers the residual blocks flat: body.(l·R + r); the first of each later level pools and widens.
            for (var l = 0; l < config.Levels; l++)
                for (var r = 0; r < config.NumResBlocks; r++)
                    body.Add(new AdapterResnetBlock(r == 0 && l > 0 ? c[l - 1] : c[l], c[l], down: r == 0 && l > 0, device, dtype));
        }
        else
        {
            for (var l = 0; l < config.Levels; l++)
                body.Add(new LightAdapterExtractor(l == 0 ? config.UnshuffledChannels : c[l - 1], c[l], config.NumResBlocks, down: l > 0, device, dtype));
        }
        RegisterComponents();
    }

    public T2IAdapterConfig Config { get; }

    /// <summary>The U-Net this adapter was built for.</summary>
    public UNetArchitecture Architecture { get; }

    public string Kind => "T2I-Adapter";

    public int ConditionChannels => Config.InChannels;

    public int ConditionDownsampling => Config.DownscaleFactor;

    public string? Mismatch(UNetArchitecture unet) =>
        Config.Mismatch(unet) ?? (unet.InputBlockCount != _inputBlocks || !unet.LevelEndBlocks().SequenceEqual(_locations)
            ? $"it was built for a U-Net with {_inputBlocks} input blocks, this one has {unet.InputBlockCount}; load it for this model"
            : null);

    /// <summary>One feature per level: [B, Channels[l], H/(D·2^l), W/(D·2^l)] from a condition [B, InChannels, H, W] in [0, 1].</summary>
    public IReadOnlyList<Tensor> Encode(Tensor condition)
    {
        int f = Config.DownscaleFactor;
        if (condition.dim() != 4 || condition.shape[1] != Config.InChannels || condition.shape[2] % f != 0 || condition.shape[3] % f != 0)
            throw new ArgumentException($"The T2I-Adapter's condition must be [B, {Config.InChannels}, H, W] with H and W multiples of {f}; got [{string.Join(", ", condition.shape)}].", nameof(condition));
        using var scope = NewDisposeScope();
        // 1. pixel unshuffle: each f×f patch becomes f² channels at latent resolution
        var x = f == 1 ? condition : nn.functional.pixel_unshuffle(condition, f);        // [B, C·f², H/f, W/f]
        if (conv_in is not null) x = conv_in.call(x);                                   // [B, Channels[0], H/f, W/f]
        // 2. the levels: R residual blocks each (full) or one extractor each (light)
        int perLevel = body.Count / Config.Levels;
        var features = new Tensor[Config.Levels];
        for (var l = 0; l < Config.Levels; l++)
        {
            for (var k = 0; k < perLevel; k++) x = body[l * perLevel + k].call(x);
            features[l] = x;                                                            // [B, Channels[l], h/2^l, w/2^l]
        }
        foreach (var t in features) t.MoveToOuterDisposeScope();
        return features;
    }

    public IReadOnlyList<Tensor> EncodeCondition(Tensor condition) => Encode(condition);

    /// <summary>Feature l at the input block that ends level l; nothing elsewhere and no skip residuals.</summary>
    public UNetAdditions Additions(IReadOnlyList<Tensor> features, Tensor x, Tensor timesteps, Tensor context)
    {
        var additions = new Tensor?[_inputBlocks];
        for (var l = 0; l < _locations.Count; l++)
            additions[_locations[l]] = features[l].expand(x.shape[0], -1, -1, -1);     // [n, Channels[l], h_l, w_l]
        return new UNetAdditions(null, additions);
    }
}
