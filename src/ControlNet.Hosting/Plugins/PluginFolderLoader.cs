using System.Reflection;
using ControlNet.Abstractions;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;

namespace ControlNet.Hosting.Plugins;

/// <summary>
/// Loads the condition plug-ins of one plug-in folder (<c>&lt;folder&gt;/&lt;Name&gt;.dll</c> plus its private dependencies)
/// into its own load context with McMaster.NETCore.Plugins. The contract, TorchSharp, the DI abstractions and OpenCvSharp
/// are shared with the host, so a plug-in's <see cref="IConditionPlugin"/> is the host's type and OpenCV's 113 MB native
/// library exists once, next to the host (plug-in folders and packages leave it out: ControlNet.Abstractions.targets).
/// </summary>
public static class PluginFolderLoader
{
    /// <summary>The types whose assemblies come from the host, never from a plug-in folder.</summary>
    public static IReadOnlyList<Type> SharedTypes { get; } = [typeof(IConditionPlugin), typeof(torch), typeof(IServiceCollection), typeof(OpenCvSharp.Mat)];

    public static IReadOnlyList<LoadedPlugin> Load(string pluginFolder)
    {
        if (!Path.IsPathFullyQualified(pluginFolder))
            throw new ArgumentException($"Plug-in folder '{pluginFolder}' is relative; the loader takes absolute paths only. Pass Path.GetFullPath(folder).");
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(pluginFolder));
        var assemblyPath = Path.Combine(pluginFolder, name + ".dll");
        if (!File.Exists(assemblyPath))
            throw new PluginLoadException(name, $"Plug-in '{name}': '{assemblyPath}' not found. A plug-in folder holds its main assembly named like the folder.");

        // The native host trusts the deps file's shape: a malformed one would abort this process, not throw.
        var deps = Path.Combine(pluginFolder, name + ".deps.json");
        if (File.Exists(deps))
        {
            try { PluginDepsFile.Check(deps); }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                throw new PluginLoadException(name, $"Plug-in '{name}': {Path.GetFileName(deps)} is malformed ({e.Message}). Reinstall the plug-in, or rebuild it with `dotnet publish`.", e);
            }
        }

        Assembly assembly;
        try
        {
            var loader = PluginLoader.CreateFromAssemblyFile(assemblyPath, [.. SharedTypes]);
            assembly = loader.LoadDefaultAssembly();
        }
        catch (Exception e) when (e is not PluginLoadException)
        {
            throw new PluginLoadException(name, $"Plug-in '{name}': its assembly could not be loaded: {e.Message}", e);
        }

        // Compare contract versions before touching any type: an incompatible plug-in may not even bind.
        var target = ContractReference.Of(assembly);
        CheckContract(name, target);

        Type[] types;
        try { types = assembly.GetExportedTypes(); }
        catch (Exception e) { throw new PluginLoadException(name, $"Plug-in '{name}': its types could not be loaded ({Describe(e)}). Reinstall it with all its dependencies.", e); }

        var pluginTypes = types.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IConditionPlugin).IsAssignableFrom(t)).ToArray();
        if (pluginTypes.Length == 0)
            throw new PluginLoadException(name, $"Plug-in '{name}': {Path.GetFileName(assemblyPath)} has no public class implementing IConditionPlugin.");

        var version = assembly.GetName().Version;
        var loaded = new List<LoadedPlugin>();
        foreach (var type in pluginTypes)
        {
            IConditionPlugin plugin;
            try { plugin = (IConditionPlugin)Activator.CreateInstance(type)!; }
            catch (Exception e)
            {
                var inner = e is TargetInvocationException { InnerException: { } i } ? i : e;
                throw new PluginLoadException(name, $"Plug-in '{name}': creating {type.FullName} failed ({Describe(inner)}). Reinstall it with all its dependencies.", inner);
            }
            Version contract;
            try { contract = plugin.TargetContract; }
            catch (Exception e) { throw new PluginLoadException(name, $"Plug-in '{name}': {type.FullName}.TargetContract threw {e.GetType().Name} ({e.Message}); the plug-in is broken. Update or remove it.", e); }
            CheckContract(name, contract);
            loaded.Add(new LoadedPlugin(plugin, pluginFolder, version));
        }
        return loaded;
    }

    static void CheckContract(string name, Version target)
    {
        if (!ContractVersion.IsCompatible(target))
            throw new PluginLoadException(name,
                $"Plug-in '{name}' was built against plug-in contract {target.Major}.{target.Minor}, but this host has contract {ContractVersion.Current.Major}.{ContractVersion.Current.Minor} " +
                $"(compatible: {ContractVersion.Major}.0–{ContractVersion.Major}.{ContractVersion.Minor}). Install a version of the plug-in built for contract {ContractVersion.Major}.x, or update the host.");
    }

    static string Describe(Exception e) => e switch
    {
        ReflectionTypeLoadException r => string.Join("; ", r.LoaderExceptions.Where(x => x is not null).Select(x => x!.Message).Distinct()),
        FileNotFoundException f => $"missing dependency {f.FileName ?? f.Message}",
        _ => e.Message,
    };
}
