using System.Text.Json;
using ControlNet.Server.Api;
using ControlNet.Server.Jobs;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ControlNet.Server.Queue;

/// <summary>
/// <c>controlnet worker --redis HOST:PORT</c>: one consumer of the job stream's group, one job at a time on its device.
/// Before reading new jobs it takes over any job whose worker has not renewed its lease (XAUTOCLAIM with the lease as
/// the minimum idle time), so a killed worker's job runs again elsewhere; while running it renews its own lease by
/// re-claiming the entry. A job's output is stored once: the first worker to finish it records it (and appends the id to
/// the completions list); a late duplicate is dropped.
/// </summary>
public sealed class RedisWorker(IConnectionMultiplexer redis, RedisKeys keys, JobRunner runner, ServerOptions options, ILogger log)
{
    readonly string _name = options.WorkerName ?? $"{Environment.MachineName}-{Environment.ProcessId}";
    IDatabase Db => redis.GetDatabase();

    public string Name => _name;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await EnsureGroupAsync();
        log.LogInformation("worker {Name} reading {Stream}", _name, keys.Stream);
        while (!cancellationToken.IsCancellationRequested)
        {
            var entry = await NextAsync();
            if (entry is null)
            {
                await Task.Delay(200, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }
            await ProcessAsync(entry.Value, cancellationToken);
        }
    }

    async Task EnsureGroupAsync()
    {
        try { await Db.StreamCreateConsumerGroupAsync(keys.Stream, RedisKeys.Group, "0-0", createStream: true); }
        catch (RedisServerException e) when (e.Message.Contains("BUSYGROUP", StringComparison.Ordinal)) { }   // another worker made it
    }

    // Abandoned jobs first (their lease ran out), then new ones. The client library cannot block on XREADGROUP, so an idle worker polls.
    async Task<StreamEntry?> NextAsync()
    {
        // XAUTOCLAIM … JUSTID, then XRANGE for the fields: the ids-only reply parses the same on every Redis version.
        var claimed = await Db.StreamAutoClaimIdsOnlyAsync(keys.Stream, RedisKeys.Group, _name, (long)options.Lease.TotalMilliseconds, "0-0", 1);
        foreach (var staleId in claimed.ClaimedIds.Where(i => !i.IsNull))
        {
            var range = await Db.StreamRangeAsync(keys.Stream, staleId, staleId, 1);
            if (range.Length == 1 && !range[0]["id"].IsNull)
            {
                log.LogWarning("worker {Name} re-claims job {Id} (its lease of {Lease} ran out)", _name, (string?)range[0]["id"], options.Lease);
                return range[0];
            }
            await Db.StreamAcknowledgeAsync(keys.Stream, RedisKeys.Group, staleId);   // trimmed or not a job entry
        }
        var fresh = await Db.StreamReadGroupAsync(keys.Stream, RedisKeys.Group, _name, ">", 1);
        return fresh.Length == 0 || fresh[0].IsNull ? null : fresh[0];
    }

    async Task ProcessAsync(StreamEntry entry, CancellationToken stopping)
    {
        if (entry["id"].IsNull)
        {
            await Db.StreamAcknowledgeAsync(keys.Stream, RedisKeys.Group, entry.Id);   // not a job entry
            return;
        }
        string id = (string)entry["id"]!;
        var job = keys.Job(id);
        var fields = await Db.HashGetAsync(job, ["state", "spec"]);
        if (fields[0].IsNull || fields[0] == nameof(JobState.Done) || fields[0] == nameof(JobState.Failed) || fields[0] == nameof(JobState.Cancelled))
        {
            await Db.StreamAcknowledgeAsync(keys.Stream, RedisKeys.Group, entry.Id);   // finished by another worker, or expired
            return;
        }
        if (await Db.KeyExistsAsync(keys.Cancel(id)))
        {
            await FinishAsync(entry, id, JobState.Cancelled, "cancelled before it started");
            return;
        }
        // Each start counts (a worker stopped by SIGTERM gives its start back): a job that killed its worker every time
        // fails here rather than being re-claimed forever.
        long attempt = await Db.HashIncrementAsync(job, "attempts");
        if (attempt > options.MaxAttempts)
        {
            log.LogWarning("worker {Name}: job {Id} stopped its worker {Count} times; failing it", _name, id, attempt - 1);
            await FinishAsync(entry, id, JobState.Failed,
                $"The job was started {attempt - 1} times and each time its worker stopped before finishing it (killed, crashed or out of memory), so it is not retried again (worker --max-attempts {options.MaxAttempts}). Check the workers' logs and memory, or retry with a smaller size or batch.");
            return;
        }
        await Db.HashSetAsync(job, [new("state", nameof(JobState.Running)), new("worker", _name), new("started_ms", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())]);
        await Db.StringSetAsync(keys.Current, id);
        await Db.SetAddAsync(keys.Running, id);

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var leaseLoop = new CancellationTokenSource();
        var interrupt = new InterruptFlag();
        var lease = RenewLeaseAsync(entry.Id, id, cancel, interrupt, leaseLoop.Token);
        try
        {
            var spec = JsonSerializer.Deserialize<JobSpec>((string)fields[1]!, ServerJson.Options)!;
            long previews = 0;
            var progress = new SyncProgress<JobProgress>(p =>
            {
                // Fire and forget: progress must not slow sampling; the order of one connection's commands is kept.
                Db.HashSet(job, [new("step", p.Step), new("total", p.TotalSteps)], flags: CommandFlags.FireAndForget);
                if (p.PreviewPng is null) return;
                Db.StringSet(keys.Preview(id), p.PreviewPng, RedisKeys.Keep, flags: CommandFlags.FireAndForget);
                Db.HashSet(job, "preview_version", ++previews, flags: CommandFlags.FireAndForget);
            });
            var output = await Task.Run(() => runner.RunAsync(spec, _name, progress, cancel.Token, () => interrupt.Set), cancel.Token);
            await StoreOutputAsync(entry, id, output);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: leave the entry pending; another worker re-claims it when the lease runs out. Not the job's fault.
            log.LogWarning("worker {Name} stops during job {Id}; it will run again elsewhere", _name, id);
            await Db.HashDecrementAsync(job, "attempts");
        }
        catch (OperationCanceledException) { await FinishAsync(entry, id, JobState.Cancelled, "cancelled"); }
        catch (Exception e)
        {
            var message = e is RequestValidationException v ? v.Message : e.Message;
            log.LogWarning("job {Id} failed: {Message}", id, message);
            await FinishAsync(entry, id, JobState.Failed, message);
        }
        finally
        {
            await leaseLoop.CancelAsync();
            await lease;
            await Db.SetRemoveAsync(keys.Running, id);
        }
    }

    // Every lease/3: re-claim the entry (resets its idle time, so XAUTOCLAIM elsewhere leaves it alone); every 250 ms:
    // look for a cancel or interrupt request.
    async Task RenewLeaseAsync(RedisValue entryId, string id, CancellationTokenSource cancelJob, InterruptFlag interrupt, CancellationToken stop)
    {
        var renewEvery = TimeSpan.FromMilliseconds(Math.Max(100, options.Lease.TotalMilliseconds / 3));
        var lastRenew = DateTime.UtcNow;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(250, stop);
                if (DateTime.UtcNow - lastRenew >= renewEvery)
                {
                    await Db.StreamClaimIdsOnlyAsync(keys.Stream, RedisKeys.Group, _name, 0, [entryId]);
                    lastRenew = DateTime.UtcNow;
                }
                if (await Db.KeyExistsAsync(keys.Cancel(id))) await cancelJob.CancelAsync();
                if (!interrupt.Set && await Db.KeyExistsAsync(keys.Interrupt(id))) interrupt.Set = true;
            }
            catch (OperationCanceledException) { return; }
            catch (RedisException e) { log.LogWarning("worker {Name}: Redis error while renewing the lease: {Message}", _name, e.Message); }
        }
    }

    async Task StoreOutputAsync(StreamEntry entry, string id, JobOutput output)
    {
        var job = keys.Job(id);
        var tx = Db.CreateTransaction();
        tx.AddCondition(Condition.HashNotExists(job, "done_by"));   // exactly one output per job
        _ = tx.HashSetAsync(job, [new("done_by", _name), new("state", nameof(JobState.Done))]);
        _ = tx.StringSetAsync(keys.Output(id), JsonSerializer.Serialize(output, ServerJson.Options), RedisKeys.Keep);
        _ = tx.ListRightPushAsync(keys.Completions, id);
        _ = tx.KeyExpireAsync(job, RedisKeys.Keep);
        if (!await tx.ExecuteAsync()) log.LogWarning("worker {Name}: job {Id} was already finished by another worker; output dropped", _name, id);
        await Db.StreamAcknowledgeAsync(keys.Stream, RedisKeys.Group, entry.Id);
    }

    async Task FinishAsync(StreamEntry entry, string id, JobState state, string error)
    {
        await Db.HashSetAsync(keys.Job(id), [new("state", state.ToString()), new("error", error)]);
        await Db.KeyExpireAsync(keys.Job(id), RedisKeys.Keep);
        await Db.StreamAcknowledgeAsync(keys.Stream, RedisKeys.Group, entry.Id);
    }

    sealed class InterruptFlag
    {
        public volatile bool Set;
    }

    /// <summary>Connects and builds a worker from the services of <see cref="ServerServices.AddControlNetServerCore"/>.</summary>
    public static RedisWorker Create(IServiceProvider services, ServerOptions options, ILogger log) =>
        new(ConnectionMultiplexer.Connect(RedisConnection.Configuration(options.Redis!)), new RedisKeys(options.RedisPrefix),
            (JobRunner)services.GetService(typeof(JobRunner))!, options, log);
}
