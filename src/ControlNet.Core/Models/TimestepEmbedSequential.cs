using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>
/// LDM <c>TimestepEmbedSequential</c>: children named 0, 1, … ; a <see cref="ResBlock"/> receives the time embedding,
/// a <see cref="SpatialTransformer"/> the text context, any other layer only the features.
/// </summary>
public sealed class TimestepEmbedSequential : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly nn.Module[] _layers;

    public TimestepEmbedSequential(params nn.Module[] layers) : base(nameof(TimestepEmbedSequential))
    {
        foreach (var layer in layers)
            if (layer is not (ResBlock or SpatialTransformer or nn.Module<Tensor, Tensor>))
                throw new ArgumentException($"TimestepEmbedSequential cannot call a {layer.GetType().Name}; use a ResBlock, a SpatialTransformer or a Module<Tensor, Tensor>.", nameof(layers));
        _layers = layers;
        // Registered by index (not by RegisterComponents) so the state-dict keys are "0.…", "1.…" as in the checkpoint.
        for (var i = 0; i < layers.Length; i++)
            register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
    }

    public int Count => _layers.Length;

    /// <summary>Recompute this block in backward instead of keeping its activations (<see cref="ActivationCheckpoint"/>).
    /// Takes effect only while grad is enabled and an input requires grad; off by default.</summary>
    public bool GradientCheckpointing { get; set; }

    public override Tensor forward(Tensor x, Tensor emb, Tensor context) => forward(x, emb, context, null);

    /// <summary>
    /// As <see cref="forward(Tensor, Tensor, Tensor)"/>; an <see cref="Upsample"/> in the block goes to
    /// <paramref name="upsampleSize"/> ([H, W] of the next skip) rather than ×2 (diffusers' <c>upsample_size</c>).
    /// </summary>
    public Tensor forward(Tensor x, Tensor emb, Tensor context, long[]? upsampleSize)
    {
        // Not tied to training mode: the trainer keeps the locked U-Net in eval mode, yet its decoder carries the
        // gradient to the ControlNet residuals and holds the largest activations.
        if (GradientCheckpointing && is_grad_enabled() && ActivationCheckpoint.AnyRequiresGrad(x, emb, context))
            return ActivationCheckpoint.Run(inputs => RunLayers(inputs[0], inputs[1], inputs[2], upsampleSize), x, emb, context);
        return RunLayers(x, emb, context, upsampleSize);
    }

    Tensor RunLayers(Tensor x, Tensor emb, Tensor context, long[]? upsampleSize)
    {
        using var scope = NewDisposeScope();
        foreach (var layer in _layers)
        {
            x = layer switch
            {
                ResBlock r => r.call(x, emb),
                SpatialTransformer s => s.call(x, context),
                Upsample u => u.forward(x, upsampleSize),
                nn.Module<Tensor, Tensor> m => m.call(x),
                _ => throw new InvalidOperationException("unreachable: checked in the constructor"),
            };
        }
        return x.MoveToOuterDisposeScope();
    }
}
