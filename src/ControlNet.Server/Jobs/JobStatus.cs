namespace ControlNet.Server.Jobs;

/// <summary>Where a job is: queued, running, done, failed or cancelled.</summary>
public enum JobState { Queued, Running, Done, Failed, Cancelled }

/// <summary>A job's state and progress as clients see it (<c>GET /v1/jobs/{id}</c>, server-sent events).</summary>
/// <param name="Step">Model calls done so far, over all iterations.</param>
/// <param name="TotalSteps">Model calls the whole job makes (0 until known).</param>
/// <param name="PreviewVersion">Increases with each new preview image (<c>GET /v1/jobs/{id}/preview.png</c>).</param>
/// <param name="StartedAtMs">Unix time in milliseconds when a worker started it (0 while queued).</param>
public sealed record JobStatus(string Id, JobState State, int Step, int TotalSteps, string? Error, string? Worker, long PreviewVersion, long StartedAtMs = 0)
{
    public bool IsFinished => State is JobState.Done or JobState.Failed or JobState.Cancelled;
    public double Progress => State == JobState.Done ? 1.0 : TotalSteps == 0 ? 0.0 : Math.Clamp((double)Step / TotalSteps, 0, 1);
}
