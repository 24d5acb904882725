using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// DPM-Solver++(2M) (diffusers <c>DPMSolverMultistepScheduler</c> defaults: order 2, "dpmsolver++", midpoint,
/// final σ 0, "linspace" timesteps; optionally Karras σ; REFERENCE §6.4). Works in the variance-preserving space
/// (start noise × 1, no input scaling). The first call and the last (landing on σ = 0) are first order, the rest second order.
/// </summary>
public sealed class DpmPlusPlus2MSampler(NoiseSchedule schedule, SigmaSchedule sigmaSchedule = SigmaSchedule.Default) : Sampler(schedule)
{
    public DpmPlusPlus2MSampler(NoiseSchedule schedule, bool karrasSigmas) : this(schedule, karrasSigmas ? SigmaSchedule.Karras : SigmaSchedule.Default) { }

    /// <summary>σ spacing: "linspace" by default, or Karras / exponential (name suffix).</summary>
    public SigmaSchedule SigmaSchedule { get; } = sigmaSchedule;
    public bool KarrasSigmas => SigmaSchedule == SigmaSchedule.Karras;
    public override string Name => "dpmpp_2m" + SigmaSchedule.Suffix();
    public override bool IsVarianceExploding => false;

    protected override SamplingPlan BuildPlan(int steps, double denoisingStrength)
    {
        var (timesteps, sigmas) = SigmaSpacing.Select(SigmaSchedule, Schedule, steps, SigmaSpacing.DpmLinspace, roundTimesteps: true);
        return SlicedPlan(steps, denoisingStrength, timesteps, sigmas, initNoiseSigma: 1.0);
    }

    protected override IStepper CreateStepper(SamplingPlan plan, Generator? generator) => new Stepper(plan);

    /// <summary>VP coefficients of a VE σ: α = 1/√(σ²+1), σ_t = σ·α, λ = ln α − ln σ_t (+∞ at σ = 0).</summary>
    internal static (double Alpha, double SigmaT, double Lambda) Coefficients(double sigma)
    {
        double alpha = 1 / Math.Sqrt(sigma * sigma + 1);
        double sigmaT = sigma * alpha;
        return (alpha, sigmaT, Math.Log(alpha) - Math.Log(sigmaT));
    }

    sealed class Stepper(SamplingPlan plan) : IStepper
    {
        Tensor? _previousOriginal;   // m1: the x̂0 of the previous call

        public Tensor Step(Tensor x, Tensor eps, int i, out Tensor predictedOriginal)
        {
            var (alphaS0, sigmaS0, lambdaS0) = Coefficients(plan.Sigmas[i]);
            var (alphaT, sigmaT, lambdaT) = Coefficients(plan.Sigmas[i + 1]);
            double h = lambdaT - lambdaS0;
            double phi = Math.Exp(-h) - 1;   // −1 when landing on σ = 0 (h = +∞)

            var m0 = (x - eps * sigmaS0) / alphaS0;   // convert_model_output: x̂0
            predictedOriginal = m0;
            bool lastCall = i == plan.CallCount - 1;
            Tensor next;
            if (_previousOriginal is null || lastCall)
            {
                next = x * (sigmaT / sigmaS0) - m0 * (alphaT * phi);                 // DPM-Solver++ first order
            }
            else
            {
                var (_, _, lambdaS1) = Coefficients(plan.Sigmas[i - 1]);
                double r0 = (lambdaS0 - lambdaS1) / h;
                var d1 = (m0 - _previousOriginal) * (1 / r0);
                next = x * (sigmaT / sigmaS0) - m0 * (alphaT * phi) - d1 * (0.5 * alphaT * phi);   // 2M, midpoint
            }
            _previousOriginal?.Dispose();
            _previousOriginal = m0.detach().MoveToOuterDisposeScope();
            return next;
        }
    }
}
