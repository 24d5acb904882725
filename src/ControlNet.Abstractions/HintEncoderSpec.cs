using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Abstractions;

/// <summary>Which hint encoder E(·) turns the condition map [B, C, H, W] into features [B, model channels, H/8, W/8].</summary>
public abstract record HintEncoderSpec
{
    private HintEncoderSpec() { }

    /// <summary>The checkpoint layout (<c>input_hint_block</c>, REFERENCE §2.1): 7 convs 16,16,32,32,96,96,256 with SiLU, then a zero 3×3 conv.</summary>
    public sealed record Standard(int InputChannels = 3) : HintEncoderSpec;

    /// <summary>
    /// A plug-in-supplied encoder, e.g. the paper's variant for new training (four 4×4 convs with ReLU, 16/32/64/128 channels,
    /// Gaussian init, 8× downsampling). The factory receives the map's channels and the model channels it must produce.
    /// </summary>
    public sealed record Custom(string Name, Func<HintEncoderRequest, nn.Module<Tensor, Tensor>> Create) : HintEncoderSpec;

    public static HintEncoderSpec Default { get; } = new Standard();
}

/// <summary>What the host asks a custom hint encoder factory for.</summary>
/// <param name="InputChannels">Channels of the condition map.</param>
/// <param name="OutputChannels">Channels the encoder must output at 1/8 resolution (320 for SD 1.5).</param>
public sealed record HintEncoderRequest(int InputChannels, int OutputChannels);
