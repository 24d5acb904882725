using ControlNet.Abstractions;
using ControlNet.Checkpoints;

namespace ControlNet.Hosting.Plugins;

/// <summary>
/// The condition plug-ins a host knows: registered explicitly (built-ins, DI) or discovered in plug-in folders
/// (one subfolder per plug-in). A plug-in that fails to load is kept in <see cref="Failures"/> and the others still load.
/// </summary>
public sealed class PluginCatalog
{
    readonly List<LoadedPlugin> _plugins = [];
    readonly List<PluginLoadFailure> _failures = [];
    readonly List<string> _scanned = [];

    public IReadOnlyList<LoadedPlugin> Plugins => _plugins;
    public IReadOnlyList<PluginLoadFailure> Failures => _failures;
    /// <summary>The folders scanned so far, for "nothing found" messages.</summary>
    public IReadOnlyList<string> ScannedFolders => _scanned;

    /// <summary>The folder next to the executable holding the built-in plug-ins.</summary>
    public static string BuiltInFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>The built-in folder and the user's (<see cref="ControlNetHome.Plugins"/>), each if it exists, plus <paramref name="extraFolders"/>.</summary>
    public static PluginCatalog CreateDefault(IEnumerable<string>? extraFolders = null)
    {
        var catalog = new PluginCatalog();
        // A plug-in install killed mid-swap may have left the previous version renamed aside: put it back first.
        AtomicFile.RemoveStale(ControlNetHome.Plugins);
        foreach (var folder in new[] { BuiltInFolder, ControlNetHome.Plugins }.Concat(extraFolders ?? []))
            if (Directory.Exists(folder) || extraFolders?.Contains(folder) == true) catalog.AddFolder(folder);
        return catalog;
    }

    /// <summary>Registers a plug-in instance (built-ins, tests, DI).</summary>
    public PluginCatalog Add(IConditionPlugin plugin, string source = "registered")
    {
        ArgumentNullException.ThrowIfNull(plugin);
        try
        {
            Validate(plugin, source);
            _plugins.Add(new LoadedPlugin(plugin, source, plugin.GetType().Assembly.GetName().Version));
        }
        catch (PluginLoadException e) { _failures.Add(new PluginLoadFailure(e.PluginName, source, e.Message)); }
        return this;
    }

    public PluginCatalog Add<T>() where T : IConditionPlugin, new() => Add(new T());

    /// <summary>Scans every subfolder of <paramref name="folder"/> (absolute) as one plug-in.</summary>
    public PluginCatalog AddFolder(string folder)
    {
        if (!Path.IsPathFullyQualified(folder))
            throw new ArgumentException($"Plug-in folder '{folder}' is relative; the catalog takes absolute paths only. Pass Path.GetFullPath(folder).");
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Plug-in folder '{folder}' does not exist. Create it or pass another folder.");
        _scanned.Add(folder);
        // Dot folders are an installer's staging (an install in progress or killed), never a plug-in.
        foreach (var sub in Directory.GetDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal))
            AddPluginFolder(sub);
        return this;
    }

    /// <summary>Loads one plug-in folder (absolute); a failure is recorded, not thrown.</summary>
    public PluginCatalog AddPluginFolder(string pluginFolder)
    {
        if (!Path.IsPathFullyQualified(pluginFolder))
            throw new ArgumentException($"Plug-in folder '{pluginFolder}' is relative; the catalog takes absolute paths only. Pass Path.GetFullPath(folder).");
        try
        {
            foreach (var p in PluginFolderLoader.Load(pluginFolder))
            {
                Validate(p.Plugin, pluginFolder);
                _plugins.Add(p);
            }
        }
        catch (PluginLoadException e) { _failures.Add(new PluginLoadFailure(e.PluginName, pluginFolder, e.Message)); }
        return this;
    }

    /// <summary>The plug-in with <paramref name="id"/>; the error lists the ids known and the failures.</summary>
    public IConditionPlugin Get(string id) =>
        _plugins.FirstOrDefault(p => string.Equals(p.Plugin.Id, id, StringComparison.OrdinalIgnoreCase))?.Plugin
        ?? throw new KeyNotFoundException(NotFound($"No condition plug-in '{id}'."));

    /// <summary>A preprocessor by its id, or a plug-in id meaning that plug-in's first preprocessor.</summary>
    public (IConditionPlugin Plugin, IPreprocessor Preprocessor) FindPreprocessor(string id)
    {
        foreach (var p in _plugins)
            foreach (var pre in p.Plugin.Preprocessors)
                if (string.Equals(pre.Id, id, StringComparison.OrdinalIgnoreCase)) return (p.Plugin, pre);
        var plugin = _plugins.FirstOrDefault(p => string.Equals(p.Plugin.Id, id, StringComparison.OrdinalIgnoreCase))?.Plugin;
        if (plugin is { Preprocessors.Count: > 0 }) return (plugin, plugin.Preprocessors[0]);
        throw new KeyNotFoundException(NotFound($"No preprocessor '{id}'."));
    }

    string NotFound(string head)
    {
        var ids = _plugins.SelectMany(p => p.Plugin.Preprocessors.Select(x => x.Id)).ToArray();
        var msg = head + (ids.Length > 0 ? $" Known preprocessors: {string.Join(", ", ids)}." :
            $" No plug-ins are loaded (scanned: {(_scanned.Count == 0 ? "no folder" : string.Join(", ", _scanned))}). Build the CLI so its plugins/ folder holds the built-ins, or install plug-ins into {ControlNetHome.Plugins}.");
        if (_failures.Count > 0) msg += " Plug-ins that failed to load: " + string.Join("; ", _failures.Select(f => f.Message));
        return msg;
    }

    void Validate(IConditionPlugin plugin, string source)
    {
        string name = plugin.GetType().FullName ?? plugin.GetType().Name;
        // A plug-in is third-party code: each member is read once here, inside a guard, so one that throws is named and
        // left out instead of breaking every command that lists plug-ins.
        string id = Read(() => plugin.Id, "Id");
        Version contract = Read(() => plugin.TargetContract, "TargetContract");
        var preprocessors = Read(() => plugin.Preprocessors.ToArray(), "Preprocessors");
        var preprocessorIds = preprocessors.Select((pre, i) => Read(() => pre?.Id ?? throw new InvalidOperationException($"Preprocessors[{i}] is null"), $"Preprocessors[{i}].Id")).ToArray();
        if (string.IsNullOrWhiteSpace(id) || id != id.ToLowerInvariant() || id.Any(char.IsWhiteSpace))
            throw new PluginLoadException(name, $"Plug-in {name} has id '{id}'; an id is non-empty lower-case text without spaces, e.g. \"canny\".");
        if (!ContractVersion.IsCompatible(contract))
            throw new PluginLoadException(name,
                $"Plug-in '{id}' was built against plug-in contract {contract.Major}.{contract.Minor}, but this host has contract {ContractVersion.Current.Major}.{ContractVersion.Current.Minor}. " +
                $"Install a version of the plug-in built for contract {ContractVersion.Major}.x, or update the host.");
        var existing = _plugins.FirstOrDefault(p => p.Plugin.Id == id);
        if (existing is not null)
            throw new PluginLoadException(id, $"Plug-in id '{id}' from {source} is already provided by {existing.Source}; remove one of them.");
        var known = _plugins.SelectMany(p => p.Plugin.Preprocessors.Select(x => (x.Id, p.Plugin.Id))).ToArray();
        foreach (var preId in preprocessorIds)
            if (known.FirstOrDefault(k => k.Item1 == preId) is { Item1: not null } clash)
                throw new PluginLoadException(id, $"Preprocessor id '{preId}' of plug-in '{id}' is already provided by plug-in '{clash.Item2}'; preprocessor ids must be unique.");

        T Read<T>(Func<T> get, string member)
        {
            try { return get(); }
            catch (Exception e)
            {
                throw new PluginLoadException(name, $"Plug-in {name} from {source}: reading {member} threw {e.GetType().Name} ({e.Message}); the plug-in is broken and was not loaded. Update or remove it.", e);
            }
        }
    }
}
