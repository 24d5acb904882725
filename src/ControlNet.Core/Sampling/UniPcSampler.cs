using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// UniPC (Zhao et al. 2023; diffusers <c>UniPCMultistepScheduler</c> defaults: order 2, data prediction, B(h) = e^{h̃}−1
/// ("bh2"), corrector on every call after the first, lower order at the last call, "linspace" timesteps, final σ 0).
/// Each call first corrects the latent the previous call predicted (UniC, using the new x̂0), then predicts the next
/// latent (UniP). With λ = ln(α/σ), h = λ_t − λ_s0, h̃ = −h, φ₁ = e^{h̃} − 1 and r = (λ_s1 − λ_s0)/h:
/// UniP-2: x_t = (σ_t/σ_s0)·x − α_t·φ₁·m0 − α_t·B(h)·½·(m1 − m0)/r;
/// UniC-p: x_t^c = (σ_t/σ_s0)·x_prev − α_t·φ₁·m_prev − α_t·B(h)·(Σ ρ_k D_k + ρ_p·(m_t − m_prev)), ρ from R·ρ = b.
/// </summary>
public sealed class UniPcSampler(NoiseSchedule schedule) : Sampler(schedule)
{
    const int SolverOrder = 2;

    public override string Name => "unipc";
    public override bool IsVarianceExploding => false;

    protected override SamplingPlan BuildPlan(int steps, double denoisingStrength)
    {
        var (timesteps, sigmas) = SigmaSpacing.DpmLinspace(Schedule, steps);
        return SlicedPlan(steps, denoisingStrength, timesteps, sigmas, initNoiseSigma: 1.0);
    }

    protected override IStepper CreateStepper(SamplingPlan plan, Generator? generator) => new Stepper(plan);

    static double Lambda(double sigma) => DpmPlusPlus2MSampler.Coefficients(sigma).Lambda;

    /// <summary>b_k = φ_k(h̃)·k!/B(h) for k = 1…order (diffusers' recursion φ_{k+1} = φ_k/h̃ − 1/(k+1)!).</summary>
    static double[] RightHandSide(double hh, int order)
    {
        double hPhi1 = Math.Exp(hh) - 1;   // expm1(h̃); −1 at σ_t = 0
        double hPhiK = double.IsInfinity(hh) ? -1 : hPhi1 / hh - 1;
        double bh = hPhi1;
        var b = new double[order];
        double factorial = 1;
        for (int k = 1; k <= order; k++)
        {
            b[k - 1] = hPhiK * factorial / bh;
            factorial *= k + 1;
            hPhiK = (double.IsInfinity(hh) ? 0 : hPhiK / hh) - 1 / factorial;
        }
        return b;
    }

    sealed class Stepper(SamplingPlan plan) : IStepper
    {
        readonly List<Tensor> _outputs = [];   // x̂0 of earlier calls, oldest first (at most SolverOrder)
        Tensor? _lastSample;                      // the latent the previous predictor started from
        int _lastOrder;
        int _lowerOrderCount;

        public Tensor Step(Tensor x, Tensor eps, int i, out Tensor predictedOriginal)
        {
            var (alphaI, sigmaI, _) = DpmPlusPlus2MSampler.Coefficients(plan.Sigmas[i]);
            var m = (x - eps * sigmaI) / alphaI;   // x̂0 of this call
            predictedOriginal = m;
            var sample = x;
            if (i > 0 && _lastSample is not null)
                sample = Correct(m, _lastSample, x, i, _lastOrder);

            _outputs.Add(m.detach().MoveToOuterDisposeScope());
            if (_outputs.Count > SolverOrder) { _outputs[0].Dispose(); _outputs.RemoveAt(0); }

            int order = Math.Min(SolverOrder, plan.CallCount - i);   // lower_order_final
            order = Math.Min(order, _lowerOrderCount + 1);
            _lastSample?.Dispose();
            _lastSample = sample.detach().clone().MoveToOuterDisposeScope();
            var next = Predict(sample, i, order);
            _lastOrder = order;
            if (_lowerOrderCount < SolverOrder) _lowerOrderCount++;
            return next;
        }

        // UniP with B(h) = expm1(h̃): from call i (σ_s0) to i+1 (σ_t).
        Tensor Predict(Tensor x, int i, int order)
        {
            var m0 = _outputs[^1];
            var (alphaT, sigmaT, lambdaT) = DpmPlusPlus2MSampler.Coefficients(plan.Sigmas[i + 1]);
            var (_, sigmaS0, lambdaS0) = DpmPlusPlus2MSampler.Coefficients(plan.Sigmas[i]);
            double h = lambdaT - lambdaS0, hh = -h;
            double hPhi1 = Math.Exp(hh) - 1, bh = hPhi1;
            var result = x * (sigmaT / sigmaS0) - m0 * (alphaT * hPhi1);
            if (order == 2)
            {
                double r = (Lambda(plan.Sigmas[i - 1]) - lambdaS0) / h;
                var d1 = (_outputs[^2] - m0) / r;
                result = result - d1 * (alphaT * bh * 0.5);   // ρ_p = ½ for order 2
            }
            return result;
        }

        // UniC: corrects the prediction x_t (made at call i−1 from lastSample) with this call's x̂0.
        Tensor Correct(Tensor modelT, Tensor lastSample, Tensor xT, int i, int order)
        {
            var m0 = _outputs[^1];   // x̂0 of call i−1
            var (alphaT, sigmaT, lambdaT) = DpmPlusPlus2MSampler.Coefficients(plan.Sigmas[i]);
            var (_, sigmaS0, lambdaS0) = DpmPlusPlus2MSampler.Coefficients(plan.Sigmas[i - 1]);
            double h = lambdaT - lambdaS0, hh = -h;
            double hPhi1 = Math.Exp(hh) - 1, bh = hPhi1;
            var b = RightHandSide(hh, order);
            var result = lastSample * (sigmaT / sigmaS0) - m0 * (alphaT * hPhi1);
            var d1t = modelT - m0;
            if (order == 1)
                return result - d1t * (alphaT * bh * 0.5);
            // order 2: R = [[1, 1], [r, 1]], ρ = R⁻¹·b; D_1 = (m_{i−2} − m0)/r.
            double r = (Lambda(plan.Sigmas[i - 2]) - lambdaS0) / h;
            double det = 1 - r;
            double rho0 = (b[0] - b[1]) / det, rho1 = (b[1] - r * b[0]) / det;
            var d1 = (_outputs[^2] - m0) / r;
            return result - (d1 * rho0 + d1t * rho1) * (alphaT * bh);
        }
    }
}
