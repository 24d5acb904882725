namespace ControlNet.Server.Jobs;

/// <summary>
/// Every request becomes a job with an id. Two implementations: <see cref="InProcessJobQueue"/> (the default; jobs run in
/// the server process, one at a time) and <c>RedisJobQueue</c> (jobs go to a Redis Stream and any number of
/// <c>controlnet worker</c> processes run them; state, progress and results live in Redis, so the API process may restart).
/// </summary>
public interface IJobQueue
{
    /// <summary>Accepts a job (already validated) and returns its id; once this returns the job is not lost.</summary>
    Task<string> SubmitAsync(JobSpec spec, CancellationToken cancellationToken = default);

    /// <summary>The job's state and progress, or null when the id is unknown.</summary>
    Task<JobStatus?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The finished job's output, or null while it runs (or when it failed or is unknown).</summary>
    Task<JobOutput?> GetOutputAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The latest intermediate image of a running job (PNG), or null.</summary>
    Task<byte[]?> GetPreviewAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The job running now (the most recently started one), for A1111's progress endpoint; null when idle.</summary>
    Task<string?> GetCurrentAsync(CancellationToken cancellationToken = default);

    /// <summary>Asks a job to stop: a queued job never starts, a running one stops at its next step.</summary>
    Task<bool> CancelAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>A1111's interrupt: every running job ends after its current step with the image so far (its output says <see cref="JobOutput.Interrupted"/>).</summary>
    Task InterruptAsync(CancellationToken cancellationToken = default);
}
