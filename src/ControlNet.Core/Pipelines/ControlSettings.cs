using System.Diagnostics.CodeAnalysis;
using ControlNet.Abstractions;

namespace ControlNet.Pipelines;

/// <summary>
/// One ControlNet's part in a generation as the pipeline takes it: the control's <see cref="ControlParameters"/> plus
/// what only exists once a host has resolved and preprocessed the request, the key of a loaded ControlNet and the
/// condition map. A separate type because that information differs in kind: a run file, a registration or a server
/// request names a model and carries an input (path, image, base64), this carries the finished map. The preprocessing
/// settings it inherits say how the map was made; the pipeline reads the rest.
/// </summary>
public sealed record ControlSettings : ControlParameters
{
    public ControlSettings() { }

    /// <summary>The control's <paramref name="settings"/> for the loaded ControlNet <paramref name="controlNet"/> with its map.</summary>
    [SetsRequiredMembers]
    public ControlSettings(string controlNet, ConditionImage condition, ControlParameters settings) : base(settings)
    {
        ControlNet = controlNet;
        Condition = condition;
    }

    /// <summary>Key of a ControlNet loaded into the pipeline (<see cref="IControlNetPipeline.ControlNets"/>).</summary>
    public required string ControlNet { get; init; }

    /// <summary>The already preprocessed condition map (white on black, RGB or gray; a mask marks inpaint pixels as −1).</summary>
    public required ConditionImage Condition { get; init; }
}
