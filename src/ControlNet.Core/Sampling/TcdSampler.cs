using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// Trajectory Consistency Distillation sampling (Zheng et al. 2024; diffusers <c>TCDScheduler</c>), for TCD(-LoRA)
/// models at 2–8 steps. With γ (<paramref name="gamma"/>, diffusers' <c>eta</c>, default 0.3), each call goes to the
/// intermediate timestep s = ⌊(1−γ)·t_next⌋ along the predicted trajectory, x_s = √ᾱ_s·x̂0 + √(1−ᾱ_s)·ε, then (γ &gt; 0, not
/// the last call) forward to t_next with fresh noise: √(ᾱ_next/ᾱ_s)·x_s + √(1 − ᾱ_next/ᾱ_s)·z. The last call targets t_next = 0,
/// so the run ends at ᾱ[0] as DDIM does. Variance-preserving space, start noise × 1.
/// </summary>
public sealed class TcdSampler(NoiseSchedule schedule, double gamma = 0.3, int originalSteps = 50) : Sampler(schedule)
{
    public double Gamma { get; } = gamma is >= 0 and <= 1 ? gamma
        : throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "TCD's gamma must be in [0, 1] (0 deterministic, 1 fully stochastic; default 0.3).");
    public int OriginalSteps { get; } = originalSteps;
    public override string Name => "tcd";
    public override bool IsVarianceExploding => false;
    public override bool IsStochastic => Gamma > 0;

    protected override SamplingPlan BuildPlan(int steps, double denoisingStrength)
    {
        var timesteps = ConsistencyTimesteps.For(Schedule, steps, OriginalSteps, denoisingStrength);
        var sigmas = timesteps.Select(t => Schedule.Sigma(t)).Append(Schedule.Sigma(0)).ToArray();
        return new SamplingPlan(Name, steps, 0, timesteps.Select(t => (double)t).ToArray(), sigmas, 1.0);
    }

    protected override IStepper CreateStepper(SamplingPlan plan, Generator? generator) => new Stepper(this, plan, generator);

    sealed class Stepper(TcdSampler sampler, SamplingPlan plan, Generator? generator) : IStepper
    {
        public Tensor Step(Tensor x, Tensor eps, int i, out Tensor predictedOriginal)
        {
            var schedule = sampler.Schedule;
            bool last = i == plan.CallCount - 1;
            int t = (int)plan.Timesteps[i];
            int next = last ? 0 : (int)plan.Timesteps[i + 1];
            int s = (int)Math.Floor((1 - sampler.Gamma) * next);
            double alpha = schedule.AlphaCumprod(t), alphaNext = schedule.AlphaCumprod(next), alphaS = schedule.AlphaCumprod(s);
            var x0 = PredictOriginalVp(x, eps, alpha);
            predictedOriginal = x0;
            var noisedS = x0 * Math.Sqrt(alphaS) + eps * Math.Sqrt(1 - alphaS);
            if (sampler.Gamma == 0 || last)
                return noisedS;
            var noise = torch.randn(x.shape, dtype: x.dtype, device: x.device, generator: generator);
            return noisedS * Math.Sqrt(alphaNext / alphaS) + noise * Math.Sqrt(1 - alphaNext / alphaS);
        }
    }
}
