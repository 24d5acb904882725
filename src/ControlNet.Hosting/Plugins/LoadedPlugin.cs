using ControlNet.Abstractions;

namespace ControlNet.Hosting.Plugins;

/// <summary>A plug-in the catalog holds, with where it came from ("built-in", "registered" or its folder) and its assembly version.</summary>
public sealed record LoadedPlugin(IConditionPlugin Plugin, string Source, Version? Version);

/// <summary>A plug-in that could not be loaded: its name (folder or type), where it was, and why, written for the user.</summary>
public sealed record PluginLoadFailure(string Name, string Source, string Message);

/// <summary>Thrown for one plug-in folder; the catalog records it and goes on with the others.</summary>
public sealed class PluginLoadException(string pluginName, string message, Exception? inner = null) : Exception(message, inner)
{
    public string PluginName { get; } = pluginName;
}
