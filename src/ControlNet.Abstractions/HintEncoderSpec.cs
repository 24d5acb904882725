using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Abstractions;

/// <summary>
/// Which hint encoder E(·) turns the condition map [B, C, H, W] into features [B, model channels, H/D, W/D]
/// (D = 8 for SD 1.5, 1 for the pixel-space toy model). The ControlNet adds them to its first block's output (paper §3.2).
/// </summary>
public abstract record HintEncoderSpec
{
    private HintEncoderSpec() { }

    /// <summary>Channels of the condition map the encoder reads.</summary>
    public abstract int Channels { get; }

    /// <summary>
    /// The released code's encoder (<c>input_hint_block</c>): 7 3×3 convs 16,16,32,32,96,96,256 with SiLU, three of them with
    /// stride 2, then a zero 3×3 conv to the model width. Every public ControlNet checkpoint has it.
    /// </summary>
    public sealed record Standard(int InputChannels = 3) : HintEncoderSpec
    {
        public override int Channels => InputChannels;
    }

    /// <summary>
    /// The paper's encoder (§3.2): four 4×4 convs with ReLU, 16/32/64/128 channels, Gaussian init, stride 2 on the first
    /// log2(D) of them, then a zero-initialised 1×1 projection to the model width. Checkpoint keys <c>paper_hint_block.*</c>.
    /// </summary>
    public sealed record Paper(int InputChannels = 3) : HintEncoderSpec
    {
        public override int Channels => InputChannels;
    }

    /// <summary>
    /// A plug-in's own encoder. <paramref name="Create"/> builds a fresh module (its own parameters, the plug-in's init)
    /// for the request; the host checks that it maps [B, <paramref name="InputChannels"/>, H, W] to
    /// [B, OutputChannels, H/D, W/D]. Its weights live in the ControlNet checkpoint under <c><paramref name="Name"/>.*</c>
    /// (<c>control_model.<paramref name="Name"/>.*</c> in an original-layout file), in place of <c>input_hint_block.*</c>.
    /// </summary>
    /// <param name="Name">the key prefix: lower-case letters, digits and underscores, starting with a letter, e.g. "depth16_hint"</param>
    /// <param name="InputChannels">channels of the condition maps the plug-in's preprocessors produce (1 for a gray map)</param>
    public sealed record Custom(string Name, int InputChannels, Func<HintEncoderRequest, nn.Module<Tensor, Tensor>> Create) : HintEncoderSpec
    {
        /// <summary>Contract 1.1 form: a 3-channel map.</summary>
        public Custom(string Name, Func<HintEncoderRequest, nn.Module<Tensor, Tensor>> Create) : this(Name, 3, Create) { }

        public override int Channels => InputChannels;
    }

    public static HintEncoderSpec Default { get; } = new Standard();
}

/// <summary>What the host asks a custom hint encoder factory for.</summary>
/// <param name="InputChannels">Channels of the condition map.</param>
/// <param name="OutputChannels">Channels the encoder must output (320 for SD 1.5, 32 for the toy model).</param>
/// <param name="Downsampling">How much smaller the output is than the map: 8 for SD 1.5 (latent space), 1 for pixel-space models.</param>
public sealed record HintEncoderRequest(int InputChannels, int OutputChannels, int Downsampling = 8);
