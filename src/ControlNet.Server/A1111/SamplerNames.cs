namespace ControlNet.Server.A1111;

/// <summary>A1111's sampler names for the SDK's samplers (and the "DPM++ 2M" + scheduler "Karras" form of newer A1111).</summary>
public static class SamplerNames
{
    /// <summary>A1111 name → SDK sampler, in the order <c>/sdapi/v1/samplers</c> lists them.</summary>
    public static readonly IReadOnlyList<(string A1111, string Sdk, string[] Aliases)> All =
    [
        ("Euler a", "euler_a", ["k_euler_a", "k_euler_ancestral"]),
        ("Euler", "euler", ["k_euler"]),
        ("DPM++ 2M", "dpmpp_2m", ["k_dpmpp_2m"]),
        ("DPM++ 2M Karras", "dpmpp_2m_karras", ["k_dpmpp_2m_ka"]),
        ("DDIM", "ddim", []),
        ("PLMS", "plms", []),
    ];

    /// <summary>The SDK sampler for an A1111 name, alias or SDK name (case-insensitive); <paramref name="scheduler"/> "Karras" turns DPM++ 2M into its Karras form.</summary>
    public static string? ToSdk(string name, string? scheduler = null)
    {
        var found = All.FirstOrDefault(s => string.Equals(s.A1111, name, StringComparison.OrdinalIgnoreCase) || string.Equals(s.Sdk, name, StringComparison.OrdinalIgnoreCase)
                                            || s.Aliases.Contains(name, StringComparer.OrdinalIgnoreCase)).Sdk;
        if (found == "dpmpp_2m" && string.Equals(scheduler, "karras", StringComparison.OrdinalIgnoreCase)) return "dpmpp_2m_karras";
        return found;
    }

    /// <summary>The A1111 display name of an SDK sampler.</summary>
    public static string ToA1111(string sdk) => All.FirstOrDefault(s => s.Sdk == sdk).A1111 ?? sdk;
}
