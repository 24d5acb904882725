using ControlNet.Pipelines;

namespace ControlNet.Hosting.Runs;

/// <summary>
/// One control of a <see cref="GenerationRun"/> (CLI: <c>--control TYPE:IMAGE[:key=value,…]</c>): the control's
/// settings (<see cref="ControlParameters"/>) plus the plug-in, the image file and the ControlNet. In the run file the
/// settings keep the command line's names (<c>pre</c>, <c>guess</c>, <c>mode: "prompt"</c>, <c>resize: "just-resize"</c>):
/// <see cref="GenerationRun.Json"/>.
/// </summary>
public sealed record RunControl : ControlParameters
{
    public RunControl() { }

    /// <summary>A control of plug-in <paramref name="type"/> with <paramref name="settings"/> (copied; any extra fields of a derived record are not).</summary>
    public RunControl(string type, ControlParameters settings) : base(settings) => Type = type;

    /// <summary>Condition plug-in id (canny, depth, …); its preprocessor runs on the image first.</summary>
    public string Type { get; init; } = "";
    public string Image { get; init; } = "";
    /// <summary>ControlNet file, folder or hub id; null = the default for the type (<see cref="GenerationRunner.DefaultControlModel"/>).</summary>
    public string? Model { get; init; }
}
