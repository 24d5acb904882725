using System.Globalization;
using System.Text.Json;
using ControlNet.Server.Jobs;
using StackExchange.Redis;

namespace ControlNet.Server.Queue;

/// <summary>
/// The API side of the Redis queue: a job is accepted once its hash and its stream entry are written (in one
/// transaction), so an API restart loses nothing; <c>controlnet worker</c> processes (<see cref="RedisWorker"/>) run
/// the jobs and write state, progress, previews and outputs back, which any API process can read.
/// </summary>
public sealed class RedisJobQueue(IConnectionMultiplexer redis, RedisKeys keys) : IJobQueue, IDisposable
{
    IDatabase Db => redis.GetDatabase();

    public static RedisJobQueue Connect(ServerOptions options) =>
        new(ConnectionMultiplexer.Connect(RedisConnection.Configuration(options.Redis!)), new RedisKeys(options.RedisPrefix));

    public async Task<string> SubmitAsync(JobSpec spec, CancellationToken cancellationToken = default)
    {
        var id = Guid.NewGuid().ToString("N");
        var tx = Db.CreateTransaction();
        _ = tx.HashSetAsync(keys.Job(id), [
            new("state", nameof(JobState.Queued)),
            new("spec", JsonSerializer.Serialize(spec, ServerJson.Options)),
            new("submitted_ms", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()),
        ]);
        _ = tx.StreamAddAsync(keys.Stream, "id", id);
        if (!await tx.ExecuteAsync()) throw new InvalidOperationException("Redis refused the job transaction; retry.");
        return id;
    }

    public async Task<JobStatus?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var fields = await Db.HashGetAsync(keys.Job(id), ["state", "step", "total", "error", "worker", "preview_version", "started_ms"]);
        if (fields[0].IsNull) return null;
        return new JobStatus(id, Enum.Parse<JobState>(fields[0]!), Int(fields[1]), Int(fields[2]), fields[3].IsNull ? null : (string)fields[3]!,
            fields[4].IsNull ? null : (string)fields[4]!, Long(fields[5]), Long(fields[6]));
    }

    static int Int(RedisValue v) => v.IsNull ? 0 : int.Parse((string)v!, CultureInfo.InvariantCulture);
    static long Long(RedisValue v) => v.IsNull ? 0 : long.Parse((string)v!, CultureInfo.InvariantCulture);

    public async Task<JobOutput?> GetOutputAsync(string id, CancellationToken cancellationToken = default)
    {
        var json = await Db.StringGetAsync(keys.Output(id));
        return json.IsNull ? null : JsonSerializer.Deserialize<JobOutput>((string)json!, ServerJson.Options);
    }

    public async Task<byte[]?> GetPreviewAsync(string id, CancellationToken cancellationToken = default)
    {
        var png = await Db.StringGetAsync(keys.Preview(id));
        return png.IsNull ? null : (byte[])png!;
    }

    public async Task<string?> GetCurrentAsync(CancellationToken cancellationToken = default)
    {
        var id = await Db.StringGetAsync(keys.Current);
        return id.IsNull ? null : (string)id!;
    }

    public async Task<bool> CancelAsync(string id, CancellationToken cancellationToken = default)
    {
        var status = await GetAsync(id, cancellationToken);
        if (status is null || status.IsFinished) return false;
        await Db.StringSetAsync(keys.Cancel(id), 1, RedisKeys.Keep);
        return true;
    }

    public async Task InterruptAsync(CancellationToken cancellationToken = default)
    {
        foreach (var id in await Db.SetMembersAsync(keys.Running))
            await Db.StringSetAsync(keys.Interrupt((string)id!), 1, RedisKeys.Keep);
    }

    public void Dispose() => redis.Dispose();
}
