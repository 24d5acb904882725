using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace ControlNet.Server.Tests;

/// <summary>
/// The bounded load test of docs/server.md, "Load test": 50 A1111 txt2img requests from 8 concurrent clients on
/// loopback, through <c>serve --redis</c> with one and then two <c>controlnet worker</c> processes on the toy model.
/// Asserts no error and no lost or doubled job; reports p50/p95 latency and throughput (test output, and as a markdown
/// table to the file CONTROLNET_LOAD_REPORT names). Reproduce the docs' numbers with
/// <c>CONTROLNET_LOAD_REPORT=load.md dotnet test tests/ControlNet.Server.Tests --filter LoadTests</c>.
/// </summary>
public sealed class LoadTests(ITestOutputHelper output)
{
    const int Requests = 50, Clients = 8, Steps = 4;

    [RedisFact]
    public async Task Fifty_requests_from_eight_clients_with_one_then_two_workers_lose_nothing()
    {
        using var redis = new RedisServer();
        await using var api = await TestServer.StartAsync(new ServerOptions { Redis = redis.HostPort, RedisPrefix = "load" });
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.HostPort);
        var rows = new List<string>();
        var workers = new List<WorkerProcess>();
        try
        {
            foreach (var name in new[] { "load-a", "load-b" })
            {
                workers.Add(new WorkerProcess(redis.HostPort, "load", name));
                await WarmUpAsync(api, name, workers);   // the new worker has loaded its weights and run a first job
                rows.Add(await MeasureAsync(api, mux.GetDatabase(), workers.Count));
            }
        }
        finally { foreach (var w in workers) w.Dispose(); }

        var table = "| workers | p50 latency | p95 latency | throughput |\n|---|---|---|---|\n" + string.Join("\n", rows) + "\n";
        output.WriteLine(table);
        if (Environment.GetEnvironmentVariable("CONTROLNET_LOAD_REPORT") is { Length: > 0 } report)
            File.WriteAllText(report, $"{Requests} requests, {Clients} clients, toy model, {Steps} steps, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}\n\n" + table);
    }

    // 50 requests, at most 8 in flight; each answered 200 with its image, each job id completed exactly once.
    async Task<string> MeasureAsync(TestServer api, IDatabase db, int workerCount)
    {
        long before = await db.ListLengthAsync("load:completions");
        var latencies = new double[Requests];
        var ids = new string[Requests];
        int next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) < Requests;)
            {
                var started = clock.Elapsed;
                ids[i] = await RunAsync(api, 100 + i, i);
                latencies[i] = (clock.Elapsed - started).TotalSeconds;
            }
        }));
        double wall = clock.Elapsed.TotalSeconds;
        var completed = (await db.ListRangeAsync("load:completions", before, -1)).Select(v => (string)v!).ToArray();
        Assert.Equal(ids.Order(), completed.Order());   // none lost, none twice
        var sorted = latencies.Order().ToArray();
        string S(double v) => v.ToString("0.00", CultureInfo.InvariantCulture) + " s";
        return $"| {workerCount} | {S(sorted[(int)Math.Ceiling(0.50 * Requests) - 1])} | {S(sorted[(int)Math.Ceiling(0.95 * Requests) - 1])} | " +
               $"{(Requests / wall).ToString("0.00", CultureInfo.InvariantCulture)} requests/s |";
    }

    static async Task<string> RunAsync(TestServer api, long seed, int index)
    {
        using var response = await api.Http.PostAsJsonAsync("/sdapi/v1/txt2img", new { prompt = $"load {index}", steps = Steps, seed });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"request {index}: {(int)response.StatusCode} {text}");
        Assert.Equal(1, JsonDocument.Parse(text).RootElement.GetProperty("images").GetArrayLength());
        return response.Headers.GetValues("X-Job-Id").Single();
    }

    // Requests until the new worker answers one: it is loaded and has paid for its first job's lazy initialisation.
    static async Task WarmUpAsync(TestServer api, string worker, IReadOnlyList<WorkerProcess> workers)
    {
        var deadline = DateTime.UtcNow.AddMinutes(4);
        for (int i = 0; ; i++)
        {
            using var response = await api.Http.PostAsJsonAsync("/sdapi/v1/txt2img", new { prompt = "warm-up", steps = Steps, seed = i });
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            var info = JsonDocument.Parse(JsonDocument.Parse(text).RootElement.GetProperty("info").GetString()!).RootElement;
            if (info.GetProperty("worker").GetString() == worker) return;
            Assert.True(DateTime.UtcNow < deadline, $"{worker} took no job: " + string.Join(" | ", workers.SelectMany(w => w.Log)));
        }
    }
}
