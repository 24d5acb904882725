using StackExchange.Redis;

namespace ControlNet.Server.Queue;

/// <summary>
/// Where a job lives in Redis (docs/server.md, "Queue"): the stream of job ids read by the consumer group, one hash per
/// job (state, progress, spec), its output and preview, and the list of completions (one entry per finished job).
/// </summary>
public sealed class RedisKeys(string prefix)
{
    public const string Group = "workers";
    public RedisKey Stream { get; } = $"{prefix}:jobs";
    public RedisKey Current { get; } = $"{prefix}:current";
    public RedisKey Running { get; } = $"{prefix}:running";
    /// <summary>Every job id appended once when its output is stored, by whichever worker finished it first.</summary>
    public RedisKey Completions { get; } = $"{prefix}:completions";
    public RedisKey Job(string id) => $"{prefix}:job:{id}";
    public RedisKey Output(string id) => $"{prefix}:job:{id}:output";
    public RedisKey Preview(string id) => $"{prefix}:job:{id}:preview";
    public RedisKey Cancel(string id) => $"{prefix}:job:{id}:cancel";
    /// <summary>A1111's interrupt: end the running job after its step with the image so far.</summary>
    public RedisKey Interrupt(string id) => $"{prefix}:job:{id}:interrupt";

    /// <summary>Finished jobs' keys expire after a day.</summary>
    public static readonly TimeSpan Keep = TimeSpan.FromDays(1);
}
