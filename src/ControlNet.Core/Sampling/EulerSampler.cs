using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// Euler (diffusers <c>EulerDiscreteScheduler</c>, s_churn = 0, "linspace" spacing; REFERENCE §6.3):
/// x ← x + ε·(σ_next − σ) in the x0 + σ·ε space, model input x/√(σ²+1), start noise × σ_max.
/// </summary>
public sealed class EulerSampler(NoiseSchedule schedule, SigmaSchedule sigmaSchedule = SigmaSchedule.Default) : Sampler(schedule)
{
    /// <summary>σ spacing: "linspace" by default, or Karras / exponential (name suffix).</summary>
    public SigmaSchedule SigmaSchedule { get; } = sigmaSchedule;
    public override string Name => "euler" + SigmaSchedule.Suffix();
    public override bool IsVarianceExploding => true;

    protected override SamplingPlan BuildPlan(int steps, double denoisingStrength)
    {
        var (timesteps, sigmas) = SigmaSpacing.Select(SigmaSchedule, Schedule, steps, SigmaSpacing.EulerLinspace, roundTimesteps: false);
        return SlicedPlan(steps, denoisingStrength, timesteps, sigmas, initNoiseSigma: sigmas.Max());
    }

    protected override IStepper CreateStepper(SamplingPlan plan, Generator? generator) => new Stepper(plan);

    sealed class Stepper(SamplingPlan plan) : IStepper
    {
        public Tensor Step(Tensor x, Tensor eps, int i, out Tensor predictedOriginal)
        {
            double sigma = plan.Sigmas[i], sigmaNext = plan.Sigmas[i + 1];
            predictedOriginal = x - eps * sigma;
            // derivative (x − x̂0)/σ = ε
            return x + eps * (sigmaNext - sigma);
        }
    }
}
