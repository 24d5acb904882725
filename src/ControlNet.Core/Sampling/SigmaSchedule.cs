namespace ControlNet.Sampling;

/// <summary>
/// How a σ-based sampler spaces its noise levels: the sampler's own default (diffusers "linspace"), Karras et al.
/// (2022, ρ = 7; A1111 "Karras") or log-linear between σ_max and σ_min (diffusers <c>use_exponential_sigmas</c>, A1111 "Exponential").
/// Sampler names carry it as a suffix: <c>dpmpp_2m_karras</c>, <c>euler_exponential</c>.
/// </summary>
public enum SigmaSchedule
{
    Default,
    Karras,
    Exponential,
}

/// <summary>Name suffixes of <see cref="SigmaSchedule"/>.</summary>
public static class SigmaSchedules
{
    /// <summary>"" for the default spacing, "_karras", "_exponential".</summary>
    public static string Suffix(this SigmaSchedule schedule) => schedule switch
    {
        SigmaSchedule.Karras => "_karras",
        SigmaSchedule.Exponential => "_exponential",
        _ => "",
    };

    /// <summary>The A1111 "Schedule type" word ("Karras", "Exponential"; null for the default).</summary>
    public static string? A1111Name(this SigmaSchedule schedule) => schedule switch
    {
        SigmaSchedule.Karras => "Karras",
        SigmaSchedule.Exponential => "Exponential",
        _ => null,
    };
}
