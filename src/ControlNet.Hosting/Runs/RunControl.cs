namespace ControlNet.Hosting.Runs;

/// <summary>One control of a <see cref="GenerationRun"/> (CLI: <c>--control TYPE:IMAGE[:key=value,…]</c>).</summary>
public sealed record RunControl
{
    /// <summary>Condition plug-in id (canny, depth, …); its preprocessor runs on the image first.</summary>
    public string Type { get; init; } = "";
    public string Image { get; init; } = "";
    /// <summary>ControlNet file, folder or hub id; null = the default for the type (<see cref="GenerationRunner.DefaultControlModel"/>).</summary>
    public string? Model { get; init; }
    public double Strength { get; init; } = 1.0;
    public double Start { get; init; }
    public double End { get; init; } = 1.0;
    /// <summary>balanced, prompt (prompt is more important) or control (ControlNet is more important): <see cref="ControlModeNames"/>.</summary>
    public string Mode { get; init; } = "balanced";
    public bool Guess { get; init; }
    /// <summary>just-resize, crop-and-resize or resize-and-fill: <see cref="ControlModeNames"/>.</summary>
    public string Resize { get; init; } = "crop-and-resize";
    /// <summary>A1111 pixel perfect: the detect resolution follows from the image, the output size and <see cref="Resize"/> (<see cref="Pipelines.PixelPerfect"/>).</summary>
    public bool PixelPerfect { get; init; }
    /// <summary>Preprocessor id; null = the plug-in's first; "none" when the image already is a condition map.</summary>
    public string? Pre { get; init; }
    /// <summary>Preprocessor options, e.g. {"low": "50"}.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}
