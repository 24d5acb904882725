using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlNet.Hosting.Packages;

/// <summary>
/// <c>controlnet-plugin.json</c> at the root of a plug-in package (written by the packing targets shipped in
/// ControlNet.Abstractions): which assembly to load and which plug-in contract it was compiled against.
/// The package's <c>controlnet-plugin/</c> folder is the plug-in folder the host loads.
/// </summary>
public sealed record PluginPackageManifest(
    [property: JsonPropertyName("format")] int Format,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("assembly")] string Assembly,
    [property: JsonPropertyName("contract")] string Contract,
    [property: JsonPropertyName("targetFramework")] string? TargetFramework)
{
    public const string FileName = "controlnet-plugin.json";
    public const string ContentFolder = "controlnet-plugin";
    public const int CurrentFormat = 1;

    /// <summary>Parses the manifest; <paramref name="package"/> names the package in messages.</summary>
    public static PluginPackageManifest Parse(string json, string package)
    {
        PluginPackageManifest? m;
        try { m = JsonSerializer.Deserialize<PluginPackageManifest>(json); }
        catch (JsonException e) { throw new InvalidDataException($"{package}: {FileName} is not valid JSON ({e.Message}). Repack the plug-in with the ControlNet.Abstractions packing targets.", e); }
        if (m is null || string.IsNullOrWhiteSpace(m.Assembly) || string.IsNullOrWhiteSpace(m.Contract) || string.IsNullOrWhiteSpace(m.Id))
            throw new InvalidDataException($"{package}: {FileName} lacks 'id', 'assembly' or 'contract'. Repack the plug-in with the ControlNet.Abstractions packing targets.");
        if (m.Format > CurrentFormat)
            throw new InvalidDataException($"{package}: {FileName} has format {m.Format}; this host reads format {CurrentFormat}. Update the host.");
        return m;
    }

    /// <summary>The contract as Major.Minor.</summary>
    public Version ContractVersion => System.Version.TryParse(Contract, out var v) ? new Version(v.Major, v.Minor)
        : throw new InvalidDataException($"Plug-in package {Id}: contract '{Contract}' in {FileName} is not a version like \"1.0\". Repack the plug-in.");
}
