namespace ControlNet.Hosting.Packages;

/// <summary>
/// Where installed plug-in packages live inside the host's home folder (<see cref="ControlNetHome"/>):
/// <c>plugins/&lt;Id&gt;/</c> (loaded by <see cref="Plugins.PluginCatalog.CreateDefault"/>), <c>installed-plugins.json</c>
/// (what was installed, which version, from where), <c>settings.json</c> (trust) and <c>tmp/</c> (staging; same file
/// system as plugins/, so the final move is a rename).
/// </summary>
public sealed record PluginHome(string Root)
{
    public static PluginHome Default => new(ControlNetHome.Path);

    public string Plugins => Path.Combine(Root, "plugins");
    public string InstalledFile => Path.Combine(Root, "installed-plugins.json");
    public string SettingsFile => Path.Combine(Root, "settings.json");
    public string Staging => Path.Combine(Root, "tmp");

    public string PluginFolder(string id) => Path.Combine(Plugins, id);
}
