namespace ControlNet.Sampling;

/// <summary>
/// The discrete training noise schedule ᾱ_t, t = 0…T−1, in float64 as LDM builds it
/// (REFERENCE §6.1; LDM <c>make_beta_schedule("linear")</c> = diffusers "scaled_linear").
/// Immutable; every sampler derives its timesteps and σ levels from it.
/// </summary>
public sealed class NoiseSchedule
{
    readonly double[] _alphasCumprod;
    readonly double[] _logSigmas;

    NoiseSchedule(double[] betas)
    {
        Betas = betas;
        _alphasCumprod = new double[betas.Length];
        double product = 1.0;
        for (int t = 0; t < betas.Length; t++)
        {
            product *= 1.0 - betas[t];
            _alphasCumprod[t] = product;
        }
        _logSigmas = _alphasCumprod.Select(a => Math.Log(SigmaFromAlphaCumprod(a))).ToArray();
    }

    /// <summary>SD 1.x / ControlNet: betas = linspace(√0.00085, √0.012, 1000)², float64.</summary>
    public static NoiseSchedule StableDiffusion { get; } = ScaledLinear(0.00085, 0.012, 1000);

    /// <summary>betas = linspace(√start, √end, count)² (LDM "linear", diffusers "scaled_linear").</summary>
    public static NoiseSchedule ScaledLinear(double betaStart, double betaEnd, int trainTimesteps)
    {
        if (trainTimesteps < 2)
            throw new ArgumentOutOfRangeException(nameof(trainTimesteps), trainTimesteps, "A noise schedule needs at least 2 training timesteps (SD uses 1000).");
        if (!(betaStart > 0 && betaEnd > betaStart && betaEnd < 1))
            throw new ArgumentException($"Betas must satisfy 0 < start < end < 1; got start {betaStart}, end {betaEnd}. SD uses 0.00085 and 0.012.");
        double a = Math.Sqrt(betaStart), b = Math.Sqrt(betaEnd);
        var betas = new double[trainTimesteps];
        for (int i = 0; i < trainTimesteps; i++)
        {
            // numpy linspace: start + i·step, with the last point exactly `end`.
            double s = i == trainTimesteps - 1 ? b : a + i * ((b - a) / (trainTimesteps - 1));
            betas[i] = s * s;
        }
        return new NoiseSchedule(betas);
    }

    public IReadOnlyList<double> Betas { get; }
    public IReadOnlyList<double> AlphasCumprod => _alphasCumprod;
    public int TrainTimesteps => _alphasCumprod.Length;

    /// <summary>ᾱ at an integer training timestep.</summary>
    public double AlphaCumprod(int t)
    {
        if ((uint)t >= (uint)_alphasCumprod.Length)
            throw new ArgumentOutOfRangeException(nameof(t), t, $"Timestep must be in [0, {_alphasCumprod.Length - 1}].");
        return _alphasCumprod[t];
    }

    /// <summary>σ = √((1−ᾱ)/ᾱ) at an integer timestep (the "VE" noise level of k-diffusion and diffusers' Euler).</summary>
    public double Sigma(int t) => SigmaFromAlphaCumprod(AlphaCumprod(t));

    /// <summary>Largest σ of the schedule (σ at t = T−1; 14.6146 for SD).</summary>
    public double SigmaMax => Sigma(TrainTimesteps - 1);

    /// <summary>Smallest σ of the schedule (σ at t = 0; 0.0292 for SD).</summary>
    public double SigmaMin => Sigma(0);

    /// <summary>σ at a fractional timestep by linear interpolation of σ (numpy.interp, as diffusers' Euler schedulers).</summary>
    public double InterpolatedSigma(double t)
    {
        if (t <= 0) return Sigma(0);
        if (t >= TrainTimesteps - 1) return SigmaMax;
        int low = (int)Math.Floor(t);
        double w = t - low;
        return (1 - w) * Sigma(low) + w * Sigma(low + 1);
    }

    /// <summary>
    /// The fractional timestep whose log σ matches (diffusers <c>_sigma_to_t</c>: linear interpolation in log σ
    /// between neighbouring training timesteps, clamped to the schedule).
    /// </summary>
    public double TimestepFromSigma(double sigma)
    {
        double logSigma = Math.Log(Math.Max(sigma, 1e-10));
        // low = last index whose log σ is ≤ the target, clipped so that low+1 exists.
        int low = 0;
        for (int i = 0; i < _logSigmas.Length; i++)
            if (logSigma - _logSigmas[i] >= 0) low = i;
        low = Math.Min(low, _logSigmas.Length - 2);
        double lo = _logSigmas[low], hi = _logSigmas[low + 1];
        double w = Math.Clamp((lo - logSigma) / (lo - hi), 0, 1);
        return (1 - w) * low + w * (low + 1);
    }

    public static double SigmaFromAlphaCumprod(double alphaCumprod) => Math.Sqrt((1 - alphaCumprod) / alphaCumprod);
    public static double AlphaCumprodFromSigma(double sigma) => 1.0 / (1.0 + sigma * sigma);
}
