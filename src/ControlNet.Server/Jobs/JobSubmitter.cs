using ControlNet.Server.Api;

namespace ControlNet.Server.Jobs;

/// <summary>What both APIs do with a request: validate it (422 before anything is queued), fix the seed, queue it, wait for it.</summary>
public sealed class JobSubmitter(IJobQueue queue, JobRunner runner)
{
    public IJobQueue Queue => queue;

    /// <summary>Validates <paramref name="spec"/> (field errors renamed by <paramref name="fieldName"/>) and queues it.</summary>
    public async Task<string> SubmitAsync(JobSpec spec, Func<string, string>? fieldName = null, CancellationToken cancellationToken = default)
    {
        try { await Task.Run(() => runner.Plan(spec, cancellationToken), cancellationToken); }
        catch (RequestValidationException e) when (fieldName is not null) { throw e.Rename(fieldName); }
        // A concrete seed before queuing: a job re-run by another worker makes the same images.
        if (spec.Seed < 0) spec = spec with { Seed = Random.Shared.NextInt64(0, uint.MaxValue) };
        return await queue.SubmitAsync(spec, cancellationToken);
    }

    /// <summary>Polls until the job finishes; its last status.</summary>
    public async Task<JobStatus> WaitAsync(string id, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var status = await queue.GetAsync(id, cancellationToken) ?? throw new InvalidOperationException($"Job {id} disappeared from the queue.");
            if (status.IsFinished) return status;
            await Task.Delay(50, cancellationToken);
        }
    }
}
