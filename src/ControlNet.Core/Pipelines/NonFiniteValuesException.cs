using static TorchSharp.torch;

namespace ControlNet.Pipelines;

/// <summary>
/// A generation produced NaN or infinite values. Checked after every sampler step and after decoding, so the run stops
/// at the step where it happened instead of writing a black or noise image (A1111's "a tensor with all NaNs").
/// </summary>
public sealed class NonFiniteValuesException(string message) : InvalidOperationException(message)
{
    /// <summary>Throws when <paramref name="latents"/> holds a NaN or an infinity after step <paramref name="step"/> of <paramref name="steps"/>.</summary>
    public static void ThrowIfLatentsNotFinite(Tensor latents, int step, int steps)
    {
        if (AllFinite(latents)) return;
        throw new NonFiniteValuesException(
            $"The latents became NaN or infinite at step {step} of {steps}. Likely causes: a checkpoint, ControlNet or LoRA with " +
            "damaged weights (check it with 'controlnet inspect FILE'), a LoRA weight or control strength far above 1, or a very high CFG scale. " +
            "Try the same seed without the LoRA or with lower weights.");
    }

    /// <summary>Throws when the decoded images hold a NaN or an infinity.</summary>
    public static void ThrowIfImagesNotFinite(Tensor images)
    {
        if (AllFinite(images)) return;
        throw new NonFiniteValuesException(
            "The VAE decoder produced NaN or infinite pixels from finite latents. Likely causes: a damaged VAE file " +
            "(check it with 'controlnet inspect FILE') or a VAE that overflows in 16-bit precision; run the VAE in float32.");
    }

    static bool AllFinite(Tensor t)
    {
        using var finite = isfinite(t).all();
        return finite.item<bool>();
    }
}
