namespace ControlNet.Sampling;

/// <summary>
/// Creates samplers by their settings/CLI names or their A1111 names, and lists both (the one table of sampler names).
/// σ-based samplers take a <see cref="SigmaSchedule"/> suffix: <c>euler_karras</c>, <c>dpmpp_2m_sde_exponential</c>.
/// </summary>
public static class SamplerFactory
{
    /// <summary>One sampler as users name it: ours, A1111's (null where A1111 has none), and what it is for.</summary>
    public sealed record SamplerName(string Name, string? A1111Name, string Description);

    /// <summary>Every name, in the order they are documented.</summary>
    public static IReadOnlyList<SamplerName> All { get; } =
    [
        new("ddim", "DDIM", "DDIM (η = 0 deterministic); the original ControlNet sampler"),
        new("plms", "PLMS", "PLMS (diffusers PNDM without PRK steps); SD 1.5's default scheduler"),
        new("euler", "Euler", "Euler, deterministic"),
        new("euler_karras", null, "Euler on Karras σ"),
        new("euler_exponential", null, "Euler on exponential σ"),
        new("euler_a", "Euler a", "Euler ancestral: fresh noise every step"),
        new("euler_a_karras", null, "Euler ancestral on Karras σ"),
        new("dpmpp_2m", "DPM++ 2M", "DPM-Solver++(2M), deterministic; good at 20–30 steps"),
        new("dpmpp_2m_karras", "DPM++ 2M Karras", "DPM-Solver++(2M) on Karras σ"),
        new("dpmpp_2m_exponential", null, "DPM-Solver++(2M) on exponential σ"),
        new("dpmpp_2m_sde", "DPM++ 2M SDE", "SDE-DPM-Solver++(2M): fresh noise every step"),
        new("dpmpp_2m_sde_karras", "DPM++ 2M SDE Karras", "SDE-DPM-Solver++(2M) on Karras σ"),
        new("dpmpp_2m_sde_exponential", "DPM++ 2M SDE Exponential", "SDE-DPM-Solver++(2M) on exponential σ"),
        new("unipc", "UniPC", "UniPC (order 2, bh2): few steps (10–20) without a distilled model"),
        new("lcm", "LCM", "Latent Consistency Model sampling, for LCM / LCM-LoRA at 4–8 steps and CFG 1–2"),
        new("tcd", "TCD", "Trajectory Consistency Distillation (γ = 0.3), for TCD-LoRA at 2–8 steps"),
    ];

    /// <summary>Our names, in the order they are documented.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(n => n.Name).ToArray();

    /// <summary>
    /// Our name for <paramref name="name"/>: ours as given (any case), an A1111 name ("Euler a", "DPM++ 2M Karras"), or an
    /// A1111 sampler with its separate "Schedule type" (<paramref name="a1111ScheduleType"/> "Karras" / "Exponential" / "Automatic").
    /// </summary>
    public static string Canonical(string name, string? a1111ScheduleType = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Trim();
        var ours = All.FirstOrDefault(n => string.Equals(n.Name, trimmed, StringComparison.OrdinalIgnoreCase))
            ?? All.FirstOrDefault(n => string.Equals(n.A1111Name, trimmed, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown sampler '{name}'. Valid names: {string.Join(", ", Names)}; A1111 names: {string.Join(", ", All.Where(n => n.A1111Name is not null).Select(n => $"\"{n.A1111Name}\""))}.", nameof(name));
        if (string.IsNullOrWhiteSpace(a1111ScheduleType) || a1111ScheduleType.Trim() is "Automatic" or "Uniform" or "Default")
            return ours.Name;
        var suffix = a1111ScheduleType.Trim().ToLowerInvariant() switch
        {
            "karras" => "_karras",
            "exponential" => "_exponential",
            _ => throw new ArgumentException($"Unknown schedule type '{a1111ScheduleType}'; supported: Automatic, Karras, Exponential.", nameof(a1111ScheduleType)),
        };
        var combined = ours.Name.EndsWith(suffix, StringComparison.Ordinal) ? ours.Name : ours.Name + suffix;
        return Names.Contains(combined) ? combined
            : throw new ArgumentException($"Sampler '{name}' has no {a1111ScheduleType} variant; samplers with one: {string.Join(", ", Names.Where(n => n.EndsWith(suffix, StringComparison.Ordinal)))}.", nameof(a1111ScheduleType));
    }

    /// <summary>The A1111 spelling of one of our names, as (sampler, schedule type): ("DPM++ 2M", "Karras") for dpmpp_2m_karras.</summary>
    public static (string Sampler, string ScheduleType) ToA1111(string name)
    {
        var canonical = Canonical(name);
        var (baseName, schedule) = SplitSchedule(canonical);
        var entry = All.First(n => n.Name == baseName);
        return (entry.A1111Name ?? entry.Name, schedule.A1111Name() ?? "Automatic");
    }

    /// <summary>
    /// Creates the named sampler (ours or A1111's) on <paramref name="schedule"/> (default: SD 1.5's).
    /// <paramref name="ddimEta"/> applies to "ddim" only.
    /// </summary>
    public static Sampler Create(string name, NoiseSchedule? schedule = null, double ddimEta = 0.0)
    {
        schedule ??= NoiseSchedule.StableDiffusion;
        var (baseName, sigmas) = SplitSchedule(Canonical(name));
        return baseName switch
        {
            "ddim" => new DdimSampler(schedule, ddimEta),
            "plms" => new PlmsSampler(schedule),
            "euler" => new EulerSampler(schedule, sigmas),
            "euler_a" => new EulerAncestralSampler(schedule, sigmas),
            "dpmpp_2m" => new DpmPlusPlus2MSampler(schedule, sigmas),
            "dpmpp_2m_sde" => new DpmPlusPlus2MSdeSampler(schedule, sigmas),
            "unipc" => new UniPcSampler(schedule),
            "lcm" => new LcmSampler(schedule),
            "tcd" => new TcdSampler(schedule),
            _ => throw new ArgumentException($"Unknown sampler '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name)),
        };
    }

    static (string BaseName, SigmaSchedule Schedule) SplitSchedule(string canonical) =>
        canonical.EndsWith("_karras", StringComparison.Ordinal) ? (canonical[..^"_karras".Length], SigmaSchedule.Karras)
        : canonical.EndsWith("_exponential", StringComparison.Ordinal) ? (canonical[..^"_exponential".Length], SigmaSchedule.Exponential)
        : (canonical, SigmaSchedule.Default);
}
