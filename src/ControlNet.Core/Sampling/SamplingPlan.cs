namespace ControlNet.Sampling;

/// <summary>
/// What a sampler will do, decided before the first model call: one entry per model call, in call order.
/// </summary>
/// <param name="Sampler">Name of the sampler that made the plan (see <see cref="SamplerFactory"/>).</param>
/// <param name="RequestedSteps">Steps the caller asked for.</param>
/// <param name="SkippedSteps">Leading steps dropped for img2img (denoising strength below 1); 0 for txt2img.</param>
/// <param name="Timesteps">Training timestep passed to the model at each call (fractional for σ-based samplers).</param>
/// <param name="Sigmas">σ = √((1−ᾱ)/ᾱ) of the latent at each call, plus one final entry: the level the last
/// step lands on (0 for Euler / DPM++, σ(ᾱ[0]) = 0.0292 for DDIM / PLMS). Count = <see cref="CallCount"/> + 1.</param>
/// <param name="InitNoiseSigma">Factor for unit Gaussian noise to form the txt2img start latent.</param>
public sealed record SamplingPlan(
    string Sampler,
    int RequestedSteps,
    int SkippedSteps,
    IReadOnlyList<double> Timesteps,
    IReadOnlyList<double> Sigmas,
    double InitNoiseSigma)
{
    /// <summary>Number of model (denoiser) calls; PLMS makes one more than its step count.</summary>
    public int CallCount => Timesteps.Count;

    /// <summary>ᾱ equivalent of the latent's noise level at call <paramref name="callIndex"/>: 1/(1+σ²).</summary>
    public double AlphaCumprodAt(int callIndex) => NoiseSchedule.AlphaCumprodFromSigma(Sigmas[callIndex]);
}
