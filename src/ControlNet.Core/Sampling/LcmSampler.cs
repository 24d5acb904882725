using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// Latent Consistency Model sampling (Luo et al. 2023; diffusers <c>LCMScheduler</c>), for LCM and LCM-LoRA models at
/// 4–8 steps and guidance ≈ 1–2. Each call predicts x̂0 = (x − √(1−ᾱ_t)·ε)/√ᾱ_t, applies the consistency boundary
/// condition denoised = c_out·x̂0 + c_skip·x with c_skip = σ_d²/((10t)² + σ_d²), c_out = 10t/√((10t)² + σ_d²), σ_d = 0.5,
/// and, except at the last call, re-noises to the next timestep with fresh noise: √ᾱ_next·denoised + √(1−ᾱ_next)·z.
/// The last call returns denoised. Variance-preserving space, start noise × 1, one Gaussian draw per call but the last.
/// </summary>
public sealed class LcmSampler(NoiseSchedule schedule, int originalSteps = 50) : Sampler(schedule)
{
    const double SigmaData = 0.5;
    const double TimestepScaling = 10.0;

    public int OriginalSteps { get; } = originalSteps;
    public override string Name => "lcm";
    public override bool IsVarianceExploding => false;
    public override bool IsStochastic => true;

    protected override SamplingPlan BuildPlan(int steps, double denoisingStrength)
    {
        var timesteps = ConsistencyTimesteps.For(Schedule, steps, OriginalSteps, denoisingStrength);
        var sigmas = timesteps.Select(t => Schedule.Sigma(t)).Append(0.0).ToArray();
        return new SamplingPlan(Name, steps, 0, timesteps.Select(t => (double)t).ToArray(), sigmas, 1.0);
    }

    protected override IStepper CreateStepper(SamplingPlan plan, Generator? generator) => new Stepper(Schedule, plan, generator);

    /// <summary>(c_skip, c_out) of the consistency boundary condition at timestep <paramref name="t"/>.</summary>
    public static (double Skip, double Out) BoundaryScalings(double t)
    {
        double scaled = t * TimestepScaling;
        return (SigmaData * SigmaData / (scaled * scaled + SigmaData * SigmaData), scaled / Math.Sqrt(scaled * scaled + SigmaData * SigmaData));
    }

    sealed class Stepper(NoiseSchedule schedule, SamplingPlan plan, Generator? generator) : IStepper
    {
        public Tensor Step(Tensor x, Tensor eps, int i, out Tensor predictedOriginal)
        {
            int t = (int)plan.Timesteps[i];
            double alpha = schedule.AlphaCumprod(t);
            var (cSkip, cOut) = BoundaryScalings(t);
            var x0 = PredictOriginalVp(x, eps, alpha);
            var denoised = x0 * cOut + x * cSkip;
            predictedOriginal = denoised;
            if (i == plan.CallCount - 1)
                return denoised.alias();
            double alphaNext = schedule.AlphaCumprod((int)plan.Timesteps[i + 1]);
            var noise = torch.randn(x.shape, dtype: x.dtype, device: x.device, generator: generator);
            return denoised * Math.Sqrt(alphaNext) + noise * Math.Sqrt(1 - alphaNext);
        }
    }
}
