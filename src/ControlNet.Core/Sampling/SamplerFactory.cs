namespace ControlNet.Sampling;

/// <summary>Creates samplers by their settings/CLI names.</summary>
public static class SamplerFactory
{
    /// <summary>Valid names, in the order they are documented.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ddim", "euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "plms"];

    /// <summary>
    /// Creates the named sampler on <paramref name="schedule"/> (default: SD 1.5's). <paramref name="ddimEta"/> applies to "ddim" only.
    /// </summary>
    public static Sampler Create(string name, NoiseSchedule? schedule = null, double ddimEta = 0.0)
    {
        ArgumentNullException.ThrowIfNull(name);
        schedule ??= NoiseSchedule.StableDiffusion;
        return name.Trim().ToLowerInvariant() switch
        {
            "ddim" => new DdimSampler(schedule, ddimEta),
            "euler" => new EulerSampler(schedule),
            "euler_a" => new EulerAncestralSampler(schedule),
            "dpmpp_2m" => new DpmPlusPlus2MSampler(schedule, karrasSigmas: false),
            "dpmpp_2m_karras" => new DpmPlusPlus2MSampler(schedule, karrasSigmas: true),
            "plms" => new PlmsSampler(schedule),
            _ => throw new ArgumentException($"Unknown sampler '{name}'. Valid names: {string.Join(", ", Names)}.", nameof(name)),
        };
    }
}
