using static TorchSharp.torch;

namespace ControlNet.Models;

/// <summary>Shape checks shared by the generated forwards, so a wrong input fails with a message instead of deep in a conv.</summary>
public static class ModelInputs
{
    public static void CheckUNet(UNetArchitecture a, Tensor x, Tensor timesteps, Tensor context, IReadOnlyList<Tensor>? controlResiduals,
        IReadOnlyList<Tensor?>? encoderAdditions = null)
    {
        CheckLatent(a, x, "x");
        CheckTimestepsAndContext(a, x, timesteps, context);
        if (controlResiduals is not null && controlResiduals.Count != a.ResidualCount)
            throw new ArgumentException($"Expected {a.ResidualCount} control residuals (one per input block plus the middle block); got {controlResiduals.Count}. Pass the list returned by the ControlNet's Forward.", nameof(controlResiduals));
        if (encoderAdditions is not null)
        {
            if (encoderAdditions.Count != a.InputBlockCount)
                throw new ArgumentException($"Expected {a.InputBlockCount} encoder additions (one per input block, null where nothing is added); got {encoderAdditions.Count}.", nameof(encoderAdditions));
            var outputs = a.InputBlockOutputs();
            for (var i = 0; i < encoderAdditions.Count; i++)
                if (encoderAdditions[i] is { } add && (add.dim() != 4 || add.shape[1] != outputs[i].Channels))
                    throw new ArgumentException($"Encoder addition {i} must be [B, {outputs[i].Channels}, h, w] like input block {i}'s output; got [{string.Join(", ", add.shape)}]. The adapter is for another U-Net.", nameof(encoderAdditions));
        }
    }

    public static void CheckControlNet(UNetArchitecture a, Tensor x, Tensor hintFeatures, Tensor timesteps, Tensor context)
    {
        CheckLatent(a, x, "x");
        CheckTimestepsAndContext(a, x, timesteps, context);
        if (hintFeatures.dim() != 4 || hintFeatures.shape[1] != a.ModelChannels || hintFeatures.shape[2] != x.shape[2] || hintFeatures.shape[3] != x.shape[3])
            throw new ArgumentException($"Hint features must be [B, {a.ModelChannels}, {x.shape[2]}, {x.shape[3]}] to match x; got [{string.Join(", ", hintFeatures.shape)}]. Encode a hint of {a.HintDownsampling}× the latent size with EncodeHint.", nameof(hintFeatures));
    }

    public static void CheckHint(UNetArchitecture a, Tensor hint)
    {
        var divisor = a.HintDownsampling;
        if (hint.dim() != 4 || hint.shape[1] != a.HintChannels || hint.shape[2] % divisor != 0 || hint.shape[3] % divisor != 0)
            throw new ArgumentException($"Hint must be [B, {a.HintChannels}, H, W] with H and W multiples of {divisor} (the latent size × {divisor}); got [{string.Join(", ", hint.shape)}]. Resize the control image (e.g. to 512×512).", nameof(hint));
    }

    private static void CheckLatent(UNetArchitecture a, Tensor x, string name)
    {
        // Any h, w ≥ 1: odd sides halve with rounding up on the way down and the decoder upsamples to each skip's size.
        if (x.dim() != 4 || x.shape[1] != a.InChannels || x.shape[2] < 1 || x.shape[3] < 1)
            throw new ArgumentException($"{name} must be [B, {a.InChannels}, h, w]; got [{string.Join(", ", x.shape)}].", name);
    }

    private static void CheckTimestepsAndContext(UNetArchitecture a, Tensor x, Tensor timesteps, Tensor context)
    {
        if (timesteps.dim() != 1 || timesteps.shape[0] != x.shape[0])
            throw new ArgumentException($"timesteps must be [B] = [{x.shape[0]}]; got [{string.Join(", ", timesteps.shape)}]. Repeat the timestep per batch item.", nameof(timesteps));
        if (context.dim() != 3 || context.shape[0] != x.shape[0] || context.shape[2] != a.ContextDim)
            throw new ArgumentException($"context must be [{x.shape[0]}, T, {a.ContextDim}]; got [{string.Join(", ", context.shape)}]. Use the text encoder that matches this architecture.", nameof(context));
    }
}
