using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// Euler ancestral (diffusers <c>EulerAncestralDiscreteScheduler</c>, "linspace"; REFERENCE §6.3): an Euler step to
/// σ_down followed by fresh noise of size σ_up, with σ_up = √(σ_to²(σ_from²−σ_to²)/σ_from²), σ_down = √(σ_to²−σ_up²).
/// One Gaussian draw per call (also the last, where σ_up = 0, as diffusers does) from the run's generator.
/// </summary>
public sealed class EulerAncestralSampler(NoiseSchedule schedule, SigmaSchedule sigmaSchedule = SigmaSchedule.Default) : Sampler(schedule)
{
    /// <summary>σ spacing: "linspace" by default, or Karras / exponential (name suffix).</summary>
    public SigmaSchedule SigmaSchedule { get; } = sigmaSchedule;
    public override string Name => "euler_a" + SigmaSchedule.Suffix();
    public override bool IsVarianceExploding => true;
    public override bool IsStochastic => true;

    protected override SamplingPlan BuildPlan(int steps, double denoisingStrength)
    {
        var (timesteps, sigmas) = SigmaSpacing.Select(SigmaSchedule, Schedule, steps, SigmaSpacing.EulerLinspace, roundTimesteps: false);
        return SlicedPlan(steps, denoisingStrength, timesteps, sigmas, initNoiseSigma: sigmas.Max());
    }

    protected override IStepper CreateStepper(SamplingPlan plan, Generator? generator) => new Stepper(plan, generator);

    sealed class Stepper(SamplingPlan plan, Generator? generator) : IStepper
    {
        public Tensor Step(Tensor x, Tensor eps, int i, out Tensor predictedOriginal)
        {
            double sigmaFrom = plan.Sigmas[i], sigmaTo = plan.Sigmas[i + 1];
            double sigmaUp = Math.Sqrt(sigmaTo * sigmaTo * (sigmaFrom * sigmaFrom - sigmaTo * sigmaTo) / (sigmaFrom * sigmaFrom));
            double sigmaDown = Math.Sqrt(sigmaTo * sigmaTo - sigmaUp * sigmaUp);
            predictedOriginal = x - eps * sigmaFrom;
            var next = x + eps * (sigmaDown - sigmaFrom);
            var noise = torch.randn(x.shape, dtype: x.dtype, device: x.device, generator: generator);
            return next + noise * sigmaUp;
        }
    }
}
