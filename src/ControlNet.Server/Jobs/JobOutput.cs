namespace ControlNet.Server.Jobs;

/// <summary>
/// What a finished job produced: the generated PNGs (with the run in their metadata), then each control's condition
/// map, and the settings actually used. Serialisable, so a Redis worker can hand it to any API process.
/// </summary>
public sealed record JobOutput
{
    /// <summary>The generated images, then (when asked) one condition map per control.</summary>
    public IReadOnlyList<JobImage> Images { get; init; } = [];
    public IReadOnlyList<long> Seeds { get; init; } = [];
    public string Prompt { get; init; } = "";
    public string Negative { get; init; } = "";
    public int Width { get; init; }
    public int Height { get; init; }
    public int Steps { get; init; }
    public string Sampler { get; init; } = "";
    public double Cfg { get; init; }
    public int Batch { get; init; }
    public double ElapsedSeconds { get; init; }
    /// <summary>The A1111-style text viewers show, per generated image.</summary>
    public IReadOnlyList<string> Infotexts { get; init; } = [];
    /// <summary>The worker that ran it (Redis) or "in-process".</summary>
    public string Worker { get; init; } = "";
    /// <summary>A1111's interrupt stopped it early: the images are the latents so far, decoded; later batches were skipped.</summary>
    public bool Interrupted { get; init; }
}

/// <summary>One PNG of a job's output.</summary>
/// <param name="Kind">"image" for a generated image, "map" for a control's condition map.</param>
public sealed record JobImage(string Kind, byte[] Png);
