using ControlNet.Abstractions;
using ControlNet.Hosting.Plugins;
using ControlNet.Models.HintEncoders;

namespace ControlNet.Hosting.Training;

/// <summary>The value of <c>controlnet train --hint-encoder</c>: standard, paper, or a plug-in id (that plug-in's own encoder).</summary>
public static class HintEncoderOption
{
    public const string Standard = "standard";
    public const string Paper = "paper";

    /// <summary>
    /// The encoder <paramref name="name"/> names; when it is null, the encoder of the plug-in behind
    /// <paramref name="condition"/> (the --condition preprocessor or plug-in id), else the standard one.
    /// </summary>
    /// <exception cref="ArgumentException">an unknown name (the message lists the choices)</exception>
    public static HintEncoderChoice Resolve(string? name, Func<PluginCatalog> catalog, string? condition)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (name is null)
            return condition is null ? HintEncoderChoice.Standard : HintEncoderChoice.FromPlugin(catalog().FindPreprocessor(condition).Plugin);
        if (string.Equals(name, Standard, StringComparison.OrdinalIgnoreCase)) return HintEncoderChoice.Standard;
        if (string.Equals(name, Paper, StringComparison.OrdinalIgnoreCase)) return new HintEncoderChoice(new HintEncoderSpec.Paper(), "--hint-encoder paper");
        var plugins = catalog();
        var plugin = plugins.Plugins.FirstOrDefault(p => string.Equals(p.Plugin.Id, name, StringComparison.OrdinalIgnoreCase))?.Plugin
            ?? throw new ArgumentException($"--hint-encoder '{name}' is unknown; use {Standard} (the released code's 8-conv encoder), {Paper} (the paper's 4-conv encoder) " +
                $"or the id of a plug-in that ships one ({string.Join(", ", plugins.Plugins.Select(p => p.Plugin.Id))}).");
        return HintEncoderChoice.FromPlugin(plugin);
    }
}
