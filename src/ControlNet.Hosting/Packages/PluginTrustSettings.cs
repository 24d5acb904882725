using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlNet.Hosting.Packages;

/// <summary>
/// Which plug-in packages install without <c>--trust</c>: the <c>plugins</c> section of
/// <c>$CONTROLNET_HOME/settings.json</c>. A plug-in runs its code inside the host, so installing one is a trust decision.
/// </summary>
/// <param name="TrustedPackages">Package ids that install without --trust: exact ids or prefixes ending in ".*" ("Acme.*"); case-insensitive.</param>
/// <param name="RequireSignedPackages">Refuse packages without a valid NuGet signature (author or repository), even with --trust.</param>
public sealed record PluginTrustSettings(
    [property: JsonPropertyName("trustedPackages")] IReadOnlyList<string> TrustedPackages,
    [property: JsonPropertyName("requireSignedPackages")] bool RequireSignedPackages = false)
{
    /// <summary>The project's own plug-ins are trusted out of the box; everything else asks.</summary>
    public static PluginTrustSettings Default { get; } = new(["ControlNet.Conditions.*"]);

    public bool IsTrusted(string packageId) => TrustedPackages.Any(p =>
        p.EndsWith(".*", StringComparison.Ordinal)
            ? packageId.StartsWith(p[..^1], StringComparison.OrdinalIgnoreCase)
            : string.Equals(p, packageId, StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads the <c>plugins</c> section of <paramref name="settingsFile"/>; the defaults when the file or section is absent.</summary>
    public static PluginTrustSettings Load(string settingsFile)
    {
        if (!File.Exists(settingsFile)) return Default;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(settingsFile), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!doc.RootElement.TryGetProperty("plugins", out var section)) return Default;
            var trusted = section.TryGetProperty("trustedPackages", out var t)
                ? t.EnumerateArray().Select(e => e.GetString() ?? throw new InvalidDataException("null id")).ToArray()
                : Default.TrustedPackages.ToArray();
            var signed = section.TryGetProperty("requireSignedPackages", out var s) && s.GetBoolean();
            return new PluginTrustSettings(trusted, signed);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or InvalidDataException)
        {
            throw new InvalidDataException(
                $"Settings file '{settingsFile}' is not valid: {e.Message}. Expected e.g. {{ \"plugins\": {{ \"trustedPackages\": [\"Acme.*\"], \"requireSignedPackages\": false }} }}.", e);
        }
    }
}
