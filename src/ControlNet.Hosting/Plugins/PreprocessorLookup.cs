using ControlNet.Abstractions;

namespace ControlNet.Hosting.Plugins;

/// <summary>
/// The one rule for naming a plug-in's preprocessor: no id means the plug-in's first, otherwise the id compared
/// without case; <see cref="Pipelines.ControlParameters.NoPreprocessor"/> ("none") is decided by the caller, before asking.
/// </summary>
public static class PreprocessorLookup
{
    /// <summary>The preprocessor <paramref name="id"/> of <paramref name="plugin"/> (null: its first), or null when it has none such.</summary>
    public static IPreprocessor? FindPreprocessor(this IConditionPlugin plugin, string? id)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        return id is null ? plugin.Preprocessors.FirstOrDefault()
            : plugin.Preprocessors.FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>As <see cref="FindPreprocessor"/>, but a missing one is an <see cref="ArgumentException"/> that lists the choices.</summary>
    public static IPreprocessor GetPreprocessor(this IConditionPlugin plugin, string? id, string who) =>
        plugin.FindPreprocessor(id) ?? throw new ArgumentException(NotFound(plugin, id, who));

    /// <summary>"WHO: plug-in 'x' has no preprocessor 'y'. Its preprocessors: a, b, or "none"."</summary>
    public static string NotFound(IConditionPlugin plugin, string? id, string who) => id is null
        ? $"{who}: plug-in '{plugin.Id}' has no preprocessor; use pre=none (Preprocessor = \"none\") and pass condition maps."
        : $"{who}: plug-in '{plugin.Id}' has no preprocessor '{id}'. Its preprocessors: {string.Join(", ", plugin.Preprocessors.Select(p => p.Id))}, or \"{Pipelines.ControlParameters.NoPreprocessor}\".";
}
