using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// DDIM as LDM's <c>ddim.py</c> / ControlNet's <c>ddim_hacked.py</c> run it (REFERENCE §6.2):
/// timesteps <c>range(0, 1000, 1000 // S) + 1</c> walked high to low, ᾱ_prev of the last step = ᾱ[0], no x̂0 clipping.
/// With <see cref="LdmStepCount"/> (the default) the list is LDM's, which has more than S entries when S does not
/// divide 1000 (S = 30 gives 31 calls); otherwise it is diffusers' "leading" list, exactly S entries
/// (identical to LDM whenever S divides 1000).
/// </summary>
public sealed class DdimSampler : Sampler
{
    /// <param name="eta">η: 0 is deterministic DDIM (ControlNet apps' default), 1 the DDPM-like stochastic variant.</param>
    /// <param name="ldmStepCount">Follow LDM's timestep list exactly (may exceed S); false gives exactly S steps.</param>
    public DdimSampler(NoiseSchedule schedule, double eta = 0.0, bool ldmStepCount = true) : base(schedule)
    {
        if (!(eta >= 0 && eta <= 1))
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "DDIM η must be in [0, 1] (0 = deterministic, the ControlNet default).");
        Eta = eta;
        LdmStepCount = ldmStepCount;
    }

    public double Eta { get; }
    public bool LdmStepCount { get; }
    public override string Name => "ddim";
    public override bool IsVarianceExploding => false;
    public override bool IsStochastic => Eta > 0;

    /// <summary>The DDIM timesteps in ascending order (LDM "uniform" or diffusers "leading", steps_offset 1).</summary>
    public int[] AscendingTimesteps(int steps) => LeadingTimesteps(Schedule, steps, LdmStepCount);

    internal static int[] LeadingTimesteps(NoiseSchedule schedule, int steps, bool ldmStepCount)
    {
        int T = schedule.TrainTimesteps;
        int stride = T / steps;
        if (stride < 2)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"DDIM/PLMS support 1 to {T / 2} steps on a {T}-step schedule (stride 1000 // S must be at least 2).");
        int count = ldmStepCount ? (T + stride - 1) / stride : steps;   // len(range(0, T, stride)) vs S
        // LDM's list can end at exactly T when T - 1 is a multiple of the stride (S = 3: 1, 334, 667, 1000), and LDM then
        // fails indexing ᾱ[1000]. We drop that out-of-range timestep instead; every list LDM can run is unchanged.
        return Enumerable.Range(0, count).Select(k => k * stride + 1).Where(t => t < T).ToArray();
    }

    protected override SamplingPlan BuildPlan(int steps, double denoisingStrength)
    {
        var descending = AscendingTimesteps(steps).Reverse().ToArray();
        var timesteps = descending.Select(t => (double)t).ToList();
        var sigmas = descending.Select(t => Schedule.Sigma(t)).Append(Schedule.Sigma(0)).ToList();
        return SlicedPlan(steps, denoisingStrength, timesteps, sigmas, initNoiseSigma: 1.0);
    }

    protected override IStepper CreateStepper(SamplingPlan plan, Generator? generator) => new Stepper(this, plan, generator);

    sealed class Stepper(DdimSampler sampler, SamplingPlan plan, Generator? generator) : IStepper
    {
        public Tensor Step(Tensor x, Tensor eps, int i, out Tensor predictedOriginal)
        {
            var schedule = sampler.Schedule;
            double aT = schedule.AlphaCumprod((int)plan.Timesteps[i]);
            // LDM: the last DDIM step lands on ᾱ[0] (diffusers set_alpha_to_one=False).
            double aPrev = i + 1 < plan.CallCount ? schedule.AlphaCumprod((int)plan.Timesteps[i + 1]) : schedule.AlphaCumprod(0);
            double sigmaT = sampler.Eta * Math.Sqrt((1 - aPrev) / (1 - aT) * (1 - aT / aPrev));

            predictedOriginal = PredictOriginalVp(x, eps, aT);                        // x̂0
            var direction = eps * Math.Sqrt(1 - aPrev - sigmaT * sigmaT);             // "direction pointing to x_t"
            var next = predictedOriginal * Math.Sqrt(aPrev) + direction;
            if (sigmaT > 0)
                next = next + torch.randn(x.shape, dtype: x.dtype, device: x.device, generator: generator) * sigmaT;
            return next;
        }
    }
}
