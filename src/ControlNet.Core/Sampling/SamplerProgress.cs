using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// Reported after every model call. <see cref="Latent"/> and <see cref="PredictedOriginal"/> are owned by the sampler
/// and valid only during the callback: clone them to keep them (e.g. for a preview decoded later).
/// </summary>
/// <param name="CallIndex">0-based index into <see cref="SamplingPlan.Timesteps"/>.</param>
/// <param name="CallCount">Total model calls of the plan.</param>
/// <param name="Timestep">Model timestep of this call.</param>
/// <param name="Latent">The latent after this call's update, in the sampler's own space (see <see cref="Sampler.IsVarianceExploding"/>).</param>
/// <param name="PredictedOriginal">The x̂0 this call implies (the clean latent the model currently predicts).</param>
public readonly record struct SamplerProgress(int CallIndex, int CallCount, double Timestep, Tensor Latent, Tensor PredictedOriginal);

/// <summary>Run-time options of one sampling run.</summary>
/// <param name="Generator">Random source for ancestral / η &gt; 0 noise; the same seeded generator reproduces a run bit for bit.
/// Null draws from the global generator.</param>
/// <param name="AfterStep">Optional transform of the latent after each call's update, before <paramref name="OnStep"/>:
/// receives (latent, callIndex) and returns the latent to continue from (a new tensor or the same one). Inpainting with a
/// plain model uses it to paste back the known region noised to the next level:
/// <c>mask·x + (1−mask)·sampler.AddNoise(init, noise, plan.Sigmas[callIndex + 1])</c>.</param>
/// <param name="OnStep">Called synchronously after each model call.</param>
/// <param name="Cancellation">Checked before each model call; cancellation throws <see cref="OperationCanceledException"/>.</param>
/// <param name="StopAfter">Asked after each call (after <paramref name="OnStep"/>) with the call index; true ends sampling
/// there and returns the current latent (diffusers' <c>pipe._interrupt</c>).</param>
public sealed record SamplingOptions(
    Generator? Generator = null,
    Action<SamplerProgress>? OnStep = null,
    Func<Tensor, int, Tensor>? AfterStep = null,
    CancellationToken Cancellation = default,
    Func<int, bool>? StopAfter = null);
