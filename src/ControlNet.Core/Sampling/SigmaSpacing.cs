namespace ControlNet.Sampling;

/// <summary>Timestep/σ lists of diffusers' σ-based schedulers, built from a <see cref="NoiseSchedule"/>.</summary>
public static class SigmaSpacing
{
    /// <summary>numpy.linspace(start, stop, count).</summary>
    public static double[] Linspace(double start, double stop, int count)
    {
        if (count == 1) return [start];
        double step = (stop - start) / (count - 1);
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = start + i * step;
        values[^1] = stop;
        return values;
    }

    /// <summary>
    /// diffusers "linspace" for Euler: timesteps linspace(0, T−1, S) high to low (fractional),
    /// σ interpolated at them, then a final 0.
    /// </summary>
    public static (double[] Timesteps, double[] Sigmas) EulerLinspace(NoiseSchedule schedule, int steps)
    {
        var timesteps = Linspace(0, schedule.TrainTimesteps - 1, steps).Reverse().ToArray();
        var sigmas = timesteps.Select(schedule.InterpolatedSigma).Append(0.0).ToArray();
        return (timesteps, sigmas);
    }

    /// <summary>
    /// diffusers DPMSolverMultistep "linspace": round(linspace(0, T−1, S+1)) high to low without the final 0,
    /// σ at those integer timesteps, then a final 0 (final_sigmas_type "zero").
    /// </summary>
    public static (double[] Timesteps, double[] Sigmas) DpmLinspace(NoiseSchedule schedule, int steps)
    {
        var timesteps = Linspace(0, schedule.TrainTimesteps - 1, steps + 1)
            .Select(t => Math.Round(t, MidpointRounding.ToEven)).Reverse().Take(steps).ToArray();
        var sigmas = timesteps.Select(t => schedule.Sigma((int)t)).Append(0.0).ToArray();
        return (timesteps, sigmas);
    }

    /// <summary>
    /// Karras et al. (2022) σ_i = (σ_max^{1/ρ} + i/(S−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ with ρ = 7 between the schedule's
    /// extremes; timesteps = round(t(σ)) by log-σ interpolation (diffusers <c>_convert_to_karras</c> + <c>_sigma_to_t</c>); final 0.
    /// </summary>
    public static (double[] Timesteps, double[] Sigmas) Karras(NoiseSchedule schedule, int steps, double rho = 7.0, bool roundTimesteps = true)
    {
        double minInv = Math.Pow(schedule.SigmaMin, 1 / rho), maxInv = Math.Pow(schedule.SigmaMax, 1 / rho);
        var sigmas = Linspace(0, 1, steps).Select(r => Math.Pow(maxInv + r * (minInv - maxInv), rho)).ToArray();
        return (TimestepsOf(schedule, sigmas, roundTimesteps), sigmas.Append(0.0).ToArray());
    }

    /// <summary>
    /// Log-linear σ from σ_max to σ_min (diffusers <c>_convert_to_exponential</c>: exp(linspace(ln σ_max, ln σ_min, S)));
    /// timesteps by log-σ interpolation as for <see cref="Karras"/>; final 0.
    /// </summary>
    public static (double[] Timesteps, double[] Sigmas) Exponential(NoiseSchedule schedule, int steps, bool roundTimesteps = true)
    {
        var sigmas = Linspace(Math.Log(schedule.SigmaMax), Math.Log(schedule.SigmaMin), steps).Select(Math.Exp).ToArray();
        return (TimestepsOf(schedule, sigmas, roundTimesteps), sigmas.Append(0.0).ToArray());
    }

    /// <summary>
    /// The σ list of <paramref name="kind"/>, or <paramref name="defaultSpacing"/>'s for <see cref="SigmaSchedule.Default"/>.
    /// DPM-Solver rounds Karras/exponential timesteps to integers, Euler keeps them fractional (as diffusers does).
    /// </summary>
    public static (double[] Timesteps, double[] Sigmas) Select(SigmaSchedule kind, NoiseSchedule schedule, int steps,
        Func<NoiseSchedule, int, (double[], double[])> defaultSpacing, bool roundTimesteps) => kind switch
        {
            SigmaSchedule.Karras => Karras(schedule, steps, roundTimesteps: roundTimesteps),
            SigmaSchedule.Exponential => Exponential(schedule, steps, roundTimesteps),
            _ => defaultSpacing(schedule, steps),
        };

    static double[] TimestepsOf(NoiseSchedule schedule, double[] sigmas, bool round) =>
        sigmas.Select(s => schedule.TimestepFromSigma(s)).Select(t => round ? Math.Round(t, MidpointRounding.ToEven) : t).ToArray();
}
