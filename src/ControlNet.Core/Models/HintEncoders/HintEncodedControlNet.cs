using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models.HintEncoders;

/// <summary>
/// A ControlNet whose hint encoder is not the released code's <c>input_hint_block</c>: the paper's (§3.2) or a plug-in's
/// own module. It shares every other block with the ControlNet it wraps (same objects, so a copy made with
/// <see cref="ControlNetFactory.FromUNet"/> stays a copy) and registers the encoder under its key prefix instead of
/// <c>input_hint_block</c>, so its state dict is the checkpoint layout: <c>time_embed.*</c>, …, <c>PREFIX.*</c>.
/// <see cref="ControlNetModule.Architecture"/> reports the encoder's input channels as HintChannels, so the pipeline and
/// the trainer feed maps with that many channels.
/// </summary>
public sealed class HintEncodedControlNet : ControlNetModule
{
    readonly ControlNetModule _inner;
    readonly nn.Module<Tensor, Tensor> _encoder;

    /// <param name="inner">the ControlNet to take the trainable copy and zero convs from; its own input_hint_block is left out</param>
    /// <param name="prefix">the encoder's key prefix (<see cref="HintEncoderModules.Prefix"/>)</param>
    /// <param name="source">who chose the encoder, for errors ("plug-in 'depth1'")</param>
    public HintEncodedControlNet(ControlNetModule inner, string prefix, nn.Module<Tensor, Tensor> encoder, int inputChannels, string source)
        : base(nameof(HintEncodedControlNet), inner.Architecture with { HintChannels = inputChannels })
    {
        _inner = inner;
        _encoder = encoder;
        Prefix = prefix;
        Source = source;
        // Registered by hand (not RegisterComponents) so the keys are the inner blocks' own names plus the prefix.
        foreach (var (name, child) in inner.named_children())
            if (name != HintEncoderModules.StandardPrefix)
                register_module(name, child);
        register_module(prefix, encoder);
    }

    /// <summary>Key prefix of the encoder's weights.</summary>
    public string Prefix { get; }

    /// <summary>Who chose the encoder.</summary>
    public string Source { get; }

    /// <summary>The encoder module itself (the plug-in's object for a custom one).</summary>
    public nn.Module<Tensor, Tensor> Encoder => _encoder;

    /// <inheritdoc/>
    public override Tensor EncodeHint(Tensor hint)
    {
        if (hint.dim() != 4 || hint.shape[1] != Architecture.HintChannels)
            throw new ArgumentException($"The hint encoder of {Source} ('{Prefix}') reads [B, {Architecture.HintChannels}, H, W] maps, got [{string.Join(", ", hint.shape)}]; " +
                $"give it {Architecture.HintChannels}-channel condition maps.");
        using var scope = NewDisposeScope();
        var features = _encoder.call(hint);                                                       // [B, MC, H/D, W/D]
        long d = Architecture.HintDownsampling;
        if (features.dim() != 4 || features.shape[1] != Architecture.ModelChannels || features.shape[2] * d != hint.shape[2] || features.shape[3] * d != hint.shape[3])
            throw new InvalidOperationException($"The hint encoder of {Source} ('{Prefix}') turned a [{string.Join(", ", hint.shape)}] map into [{string.Join(", ", features.shape)}]; " +
                $"it must output [B, {Architecture.ModelChannels}, H/{d}, W/{d}].");
        return features.MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> Forward(Tensor x, Tensor hintFeatures, Tensor timesteps, Tensor context) =>
        _inner.Forward(x, hintFeatures, timesteps, context);

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> ForwardWithHint(Tensor x, Tensor hint, Tensor timesteps, Tensor context)
    {
        using var hintFeatures = EncodeHint(hint);
        return Forward(x, hintFeatures, timesteps, context);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _inner.Dispose();   // also frees the unused input_hint_block; shared blocks tolerate a second dispose
    }
}
