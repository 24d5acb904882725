using System.Text.Json;
using System.Text.Json.Serialization;
using ControlNet.Hosting.Imaging;

namespace ControlNet.Hosting.Packages;

/// <summary>One plug-in package installed by <c>controlnet plugins install</c>.</summary>
/// <param name="Id">Package id = folder name under plugins/ = assembly name.</param>
/// <param name="Version">Package version (normalized NuGet version).</param>
/// <param name="Source">The feed it came from (URL or folder), used again by update.</param>
/// <param name="Contract">Plug-in contract Major.Minor from the package manifest.</param>
public sealed record InstalledPlugin(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("contract")] string Contract,
    [property: JsonPropertyName("installedAt")] DateTimeOffset InstalledAt);

/// <summary>The installed plug-in packages, kept in <c>$CONTROLNET_HOME/installed-plugins.json</c> (written atomically).</summary>
public sealed class InstalledPluginRegistry(string file)
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string File { get; } = file;

    public IReadOnlyList<InstalledPlugin> Load()
    {
        if (!System.IO.File.Exists(File)) return [];
        try { return JsonSerializer.Deserialize<List<InstalledPlugin>>(System.IO.File.ReadAllText(File)) ?? []; }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{File}' is not a valid list of installed plug-ins ({e.Message}). Fix or delete it; plug-in folders are not affected.", e);
        }
    }

    public InstalledPlugin? Find(string id) => Load().FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>Adds or replaces the record of <paramref name="plugin"/>'s id.</summary>
    public void Upsert(InstalledPlugin plugin) =>
        Save(Load().Where(p => !string.Equals(p.Id, plugin.Id, StringComparison.OrdinalIgnoreCase)).Append(plugin).OrderBy(p => p.Id, StringComparer.OrdinalIgnoreCase));

    public void Remove(string id) => Save(Load().Where(p => !string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase)));

    void Save(IEnumerable<InstalledPlugin> plugins)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(File)!);
        AtomicFile.WriteAllBytes(File, JsonSerializer.SerializeToUtf8Bytes(plugins.ToList(), Json));
    }
}
