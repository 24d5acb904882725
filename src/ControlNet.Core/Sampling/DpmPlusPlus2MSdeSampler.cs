using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// SDE-DPM-Solver++(2M) (diffusers <c>DPMSolverMultistepScheduler</c> with <c>algorithm_type="sde-dpmsolver++"</c>,
/// midpoint, final σ 0; A1111 "DPM++ 2M SDE"). In the variance-preserving space with α_t, σ_t and h = λ_t − λ_s:
/// first order x_t = (σ_t/σ_s)e^{−h}·x + α_t(1−e^{−2h})·D0 + σ_t√(1−e^{−2h})·z, second order adds ½α_t(1−e^{−2h})·D1 with
/// D1 = (D0 − D_prev)/r0. First and last calls are first order; one Gaussian draw per call (times 0 on the last).
/// </summary>
public sealed class DpmPlusPlus2MSdeSampler(NoiseSchedule schedule, SigmaSchedule sigmaSchedule = SigmaSchedule.Default) : Sampler(schedule)
{
    public SigmaSchedule SigmaSchedule { get; } = sigmaSchedule;
    public override string Name => "dpmpp_2m_sde" + SigmaSchedule.Suffix();
    public override bool IsVarianceExploding => false;
    public override bool IsStochastic => true;

    protected override SamplingPlan BuildPlan(int steps, double denoisingStrength)
    {
        var (timesteps, sigmas) = SigmaSpacing.Select(SigmaSchedule, Schedule, steps, SigmaSpacing.DpmLinspace, roundTimesteps: true);
        return SlicedPlan(steps, denoisingStrength, timesteps, sigmas, initNoiseSigma: 1.0);
    }

    protected override IStepper CreateStepper(SamplingPlan plan, Generator? generator) => new Stepper(plan, generator);

    sealed class Stepper(SamplingPlan plan, Generator? generator) : IStepper
    {
        Tensor? _previousOriginal;

        public Tensor Step(Tensor x, Tensor eps, int i, out Tensor predictedOriginal)
        {
            var (alphaS0, sigmaS0, lambdaS0) = DpmPlusPlus2MSampler.Coefficients(plan.Sigmas[i]);
            var (alphaT, sigmaT, lambdaT) = DpmPlusPlus2MSampler.Coefficients(plan.Sigmas[i + 1]);
            double h = lambdaT - lambdaS0;
            double decay = Math.Exp(-h);              // 0 when landing on σ = 0
            double oneMinus = 1 - Math.Exp(-2 * h);   // 1 when landing on σ = 0

            var m0 = (x - eps * sigmaS0) / alphaS0;   // x̂0
            predictedOriginal = m0;
            var noise = torch.randn(x.shape, dtype: x.dtype, device: x.device, generator: generator);
            var next = x * (sigmaT / sigmaS0 * decay) + m0 * (alphaT * oneMinus) + noise * (sigmaT * Math.Sqrt(oneMinus));
            if (_previousOriginal is not null && i != plan.CallCount - 1)
            {
                var (_, _, lambdaS1) = DpmPlusPlus2MSampler.Coefficients(plan.Sigmas[i - 1]);
                double r0 = (lambdaS0 - lambdaS1) / h;
                var d1 = (m0 - _previousOriginal) * (1 / r0);
                next = next + d1 * (0.5 * alphaT * oneMinus);
            }
            _previousOriginal?.Dispose();
            _previousOriginal = m0.detach().MoveToOuterDisposeScope();
            return next;
        }
    }
}
