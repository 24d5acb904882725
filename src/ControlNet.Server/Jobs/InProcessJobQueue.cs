using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ControlNet.Server.Jobs;

/// <summary>
/// The embedded queue: jobs wait in a bounded channel and run one at a time in this process (the model is not
/// re-entrant). Finished jobs are kept for an hour so clients can fetch results. Nothing survives a restart: use
/// <c>--redis</c> for that.
/// </summary>
public sealed class InProcessJobQueue(JobRunner runner, ServerOptions options, ILogger<InProcessJobQueue> log) : BackgroundService, IJobQueue
{
    sealed class Entry(string id, JobSpec spec)
    {
        public string Id { get; } = id;
        public JobSpec Spec { get; } = spec;
        public readonly CancellationTokenSource Cancel = new();
        public volatile JobStatus Status = new(id, JobState.Queued, 0, 0, null, null, 0);
        public volatile byte[]? Preview;
        public volatile JobOutput? Output;
        public volatile bool Interrupt;
        public DateTime FinishedAt;
    }

    static readonly TimeSpan KeepFinished = TimeSpan.FromHours(1);
    readonly ConcurrentDictionary<string, Entry> _jobs = new();
    readonly Channel<Entry> _waiting = Channel.CreateBounded<Entry>(options.MaxQueuedJobs);
    volatile string? _current;

    public Task<string> SubmitAsync(JobSpec spec, CancellationToken cancellationToken = default)
    {
        Prune();
        var entry = new Entry(Guid.NewGuid().ToString("N"), spec);
        _jobs[entry.Id] = entry;
        if (!_waiting.Writer.TryWrite(entry))
        {
            _jobs.TryRemove(entry.Id, out _);
            throw new QueueFullException($"The queue already holds {options.MaxQueuedJobs} jobs; retry later.");
        }
        return Task.FromResult(entry.Id);
    }

    public Task<JobStatus?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        Task.FromResult(_jobs.TryGetValue(id, out var e) ? e.Status : null);

    public Task<JobOutput?> GetOutputAsync(string id, CancellationToken cancellationToken = default) =>
        Task.FromResult(_jobs.TryGetValue(id, out var e) ? e.Output : null);

    public Task<byte[]?> GetPreviewAsync(string id, CancellationToken cancellationToken = default) =>
        Task.FromResult(_jobs.TryGetValue(id, out var e) ? e.Preview : null);

    public Task<string?> GetCurrentAsync(CancellationToken cancellationToken = default) => Task.FromResult(_current);

    public Task<bool> CancelAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!_jobs.TryGetValue(id, out var e) || e.Status.IsFinished) return Task.FromResult(false);
        e.Cancel.Cancel();
        return Task.FromResult(true);
    }

    public Task InterruptAsync(CancellationToken cancellationToken = default)
    {
        if (_current is { } id && _jobs.TryGetValue(id, out var e)) e.Interrupt = true;
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var entry in _waiting.Reader.ReadAllAsync(stoppingToken))
        {
            if (entry.Cancel.IsCancellationRequested) { Finish(entry, JobState.Cancelled, null); continue; }
            _current = entry.Id;
            entry.Status = entry.Status with { State = JobState.Running, Worker = "in-process", StartedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(entry.Cancel.Token, stoppingToken);
            try
            {
                var progress = new SyncProgress<JobProgress>(p =>
                {
                    if (p.PreviewPng is not null) entry.Preview = p.PreviewPng;
                    entry.Status = entry.Status with { Step = p.Step, TotalSteps = p.TotalSteps, PreviewVersion = entry.Status.PreviewVersion + (p.PreviewPng is null ? 0 : 1) };
                });
                entry.Output = await Task.Run(() => runner.RunAsync(entry.Spec, "in-process", progress, linked.Token, () => entry.Interrupt), linked.Token);
                Finish(entry, JobState.Done, null);
            }
            catch (OperationCanceledException) { Finish(entry, JobState.Cancelled, "cancelled"); }
            catch (Exception e)
            {
                // A job fails alone; the server keeps serving. The message is the library's one-line explanation.
                log.LogWarning("job {Id} failed: {Message}", entry.Id, e.Message);
                Finish(entry, JobState.Failed, e.Message);
            }
            finally { _current = null; }
        }
    }

    void Finish(Entry entry, JobState state, string? error)
    {
        entry.FinishedAt = DateTime.UtcNow;
        entry.Status = entry.Status with { State = state, Error = error, Step = state == JobState.Done ? entry.Status.TotalSteps : entry.Status.Step };
    }

    void Prune()
    {
        foreach (var (id, e) in _jobs)
            if (e.Status.IsFinished && DateTime.UtcNow - e.FinishedAt > KeepFinished) _jobs.TryRemove(id, out _);
    }
}

/// <summary>The queue cannot take another job now (answered with 503).</summary>
public sealed class QueueFullException(string message) : Exception(message);
