using ControlNet.Abstractions;

namespace ControlNet.Models.HintEncoders;

/// <summary>A hint encoder to build, and who asked for it (named in every error about it, e.g. "plug-in 'depth1'").</summary>
public sealed record HintEncoderChoice(HintEncoderSpec Spec, string Source)
{
    /// <summary>The released code's <c>input_hint_block</c> (every public checkpoint).</summary>
    public static HintEncoderChoice Standard { get; } = new(HintEncoderSpec.Default, "the standard hint encoder");

    /// <summary>The encoder a plug-in declares (<see cref="IConditionPlugin.HintEncoder"/>).</summary>
    public static HintEncoderChoice FromPlugin(IConditionPlugin plugin)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        return new(plugin.HintEncoder, $"plug-in '{plugin.Id}'");
    }

    /// <summary>True for the standard encoder, which the generated ControlNet already holds.</summary>
    public bool IsStandard => Spec is HintEncoderSpec.Standard;
}
