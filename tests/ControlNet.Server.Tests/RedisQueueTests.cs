using System.Text.Json;
using StackExchange.Redis;

namespace ControlNet.Server.Tests;

/// <summary>
/// The Redis queue with a real redis-server and real <c>controlnet worker</c> processes: 20 jobs, two workers, one
/// SIGKILLed mid-job and the API process restarted meanwhile: every job's result arrives, exactly once.
/// </summary>
public sealed class RedisQueueTests
{
    [RedisFact]
    public async Task Twenty_jobs_survive_a_killed_worker_and_an_api_restart_with_one_result_each()
    {
        using var redis = new RedisServer();
        var options = new ServerOptions { Redis = redis.HostPort, RedisPrefix = "t1" };
        using var a = new WorkerProcess(redis.HostPort, "t1", "worker-a");
        using var b = new WorkerProcess(redis.HostPort, "t1", "worker-b");
        var api = await TestServer.StartAsync(options);
        var ids = new List<string>();
        try
        {
            for (int i = 0; i < 20; i++)
            {
                var (status, json) = await api.PostAsync("/v1/generate", new { prompt = $"job {i}", steps = 30, seed = i });
                Assert.True(status == 202, json.ToString());
                ids.Add(json.GetProperty("id").GetString()!);
            }

            // Kill worker-a while it runs a job; restart the API meanwhile (jobs live in Redis, not in the API).
            string? killedJob = null;
            var deadline = DateTime.UtcNow.AddMinutes(4);
            while (killedJob is null && DateTime.UtcNow < deadline)
            {
                foreach (var id in ids)
                {
                    var job = await api.GetJsonAsync($"/v1/jobs/{id}");
                    if (job.GetProperty("state").GetString() == "running" && job.GetProperty("worker").GetString() == "worker-a" && job.GetProperty("step").GetInt32() > 0)
                    {
                        killedJob = id;
                        a.KillHard();
                        break;
                    }
                }
                if (killedJob is null) await Task.Delay(50);
            }
            Assert.True(killedJob is not null, "worker-a never ran a job: " + string.Join(" | ", a.Log) + " / " + string.Join(" | ", b.Log));
            await api.DisposeAsync();
            api = await TestServer.StartAsync(options);

            deadline = DateTime.UtcNow.AddMinutes(8);
            var states = new Dictionary<string, JsonElement>();
            while (DateTime.UtcNow < deadline)
            {
                foreach (var id in ids) states[id] = await api.GetJsonAsync($"/v1/jobs/{id}");
                if (states.Values.All(s => s.GetProperty("state").GetString() is "done" or "failed" or "cancelled")) break;
                await Task.Delay(200);
            }
            Assert.All(ids, id => Assert.Equal("done", states[id].GetProperty("state").GetString()));
            Assert.Equal("worker-b", states[killedJob!].GetProperty("worker").GetString());     // re-claimed after the lease ran out
            foreach (var id in ids)
                Assert.NotEmpty(await api.Http.GetByteArrayAsync($"/v1/jobs/{id}/images/0.png"));

            // Exactly once: one completion per accepted job, none twice, none missing.
            using var mux = await ConnectionMultiplexer.ConnectAsync(redis.HostPort);
            var completions = (await mux.GetDatabase().ListRangeAsync("t1:completions")).Select(v => (string)v!).ToArray();
            Assert.Equal(ids.Order(), completions.Order());
        }
        finally { await api.DisposeAsync(); }
    }

    [RedisFact]
    public async Task A_job_that_kills_its_worker_every_time_fails_after_max_attempts_and_the_next_job_runs()
    {
        using var redis = new RedisServer();
        await using var api = await TestServer.StartAsync(new ServerOptions { Redis = redis.HostPort, RedisPrefix = "t3" });
        var (status, json) = await api.PostAsync("/v1/generate", new { prompt = "poison", steps = 150, seed = 1 });
        Assert.True(status == 202, json.ToString());
        var poison = json.GetProperty("id").GetString()!;

        // Two starts, two dead workers (SIGKILL mid-job, as an out-of-memory kill would do).
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            using var worker = new WorkerProcess(redis.HostPort, "t3", $"doomed-{attempt}", 1, "--max-attempts", "2");
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (true)
            {
                var job = await api.GetJsonAsync($"/v1/jobs/{poison}");
                if (job.TryGetProperty("worker", out var by) && by.GetString() == worker.Name && job.GetProperty("step").GetInt32() > 0) break;
                Assert.True(DateTime.UtcNow < deadline, $"attempt {attempt}: the worker never ran the job: " + string.Join(" | ", worker.Log));
                await Task.Delay(50);
            }
            worker.KillHard();
        }

        // The third claim fails it with the reason instead of running it again; the same worker then serves the next job.
        using var survivor = new WorkerProcess(redis.HostPort, "t3", "survivor", 1, "--max-attempts", "2");
        (status, json) = await api.PostAsync("/v1/generate", new { prompt = "fine", steps = 2, seed = 2 });
        Assert.True(status == 202, json.ToString());
        var fine = json.GetProperty("id").GetString()!;
        var end = DateTime.UtcNow.AddMinutes(3);
        JsonElement poisoned, next;
        while (true)
        {
            (poisoned, next) = (await api.GetJsonAsync($"/v1/jobs/{poison}"), await api.GetJsonAsync($"/v1/jobs/{fine}"));
            if (poisoned.GetProperty("state").GetString() != "running" && next.GetProperty("state").GetString() is "done" or "failed") break;
            Assert.True(DateTime.UtcNow < end, "survivor: " + string.Join(" | ", survivor.Log));
            await Task.Delay(100);
        }
        Assert.Equal("failed", poisoned.GetProperty("state").GetString());
        var error = poisoned.GetProperty("error").GetString()!;
        Assert.Contains("started 2 times", error);
        Assert.Contains("--max-attempts 2", error);
        Assert.Equal("done", next.GetProperty("state").GetString());
        Assert.Equal("survivor", next.GetProperty("worker").GetString());
    }

    [RedisFact]
    public async Task A1111_calls_wait_for_a_worker_and_progress_reads_redis()
    {
        using var redis = new RedisServer();
        using var worker = new WorkerProcess(redis.HostPort, "t2", "worker-c");
        await using var api = await TestServer.StartAsync(new ServerOptions { Redis = redis.HostPort, RedisPrefix = "t2" });
        var (status, json) = await api.PostAsync("/sdapi/v1/txt2img", new
        {
            prompt = "square", steps = 5, seed = 1,
            alwayson_scripts = new { controlnet = new { args = new[] { new { module = "canny", model = "canny", image = TestImages.SquareBase64() } } } },
        });
        Assert.True(status == 200, json + string.Join(" | ", worker.Log));
        Assert.Equal(2, json.GetProperty("images").GetArrayLength());
        Assert.Equal("worker-c", JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement.GetProperty("worker").GetString());
    }
}
