using System.Net.Http.Json;
using System.Text.Json;
using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;
using Microsoft.AspNetCore.Builder;

namespace ControlNet.Server.Tests;

/// <summary>
/// A real server (Kestrel) on a free loopback port with the shipped toy model, and an HttpClient for it. Each test that
/// needs special options starts its own; <see cref="ToyServerFixture"/> shares one across a class.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public WebApplication App { get; }
    public HttpClient Http { get; }
    public Uri Address { get; }

    TestServer(WebApplication app)
    {
        App = app;
        Address = ServerHost.BoundAddress(app);
        Http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(5) };
    }

    public static async Task<TestServer> StartAsync(ServerOptions? options = null)
    {
        var o = options ?? new ServerOptions();
        if (o.Listen == new ServerOptions().Listen) o = o with { Listen = "127.0.0.1:0" };   // a free port, never the default 7860
        var app = ServerHost.Build(o, configureLogging: _ => { });
        await app.StartAsync();
        return new TestServer(app);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    public async Task<(int Status, JsonElement Body)> PostAsync(string path, object body)
    {
        using var response = await Http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}

/// <summary>One toy-model server for a test class.</summary>
public sealed class ToyServerFixture : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;
    public async Task InitializeAsync() => Server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>Polls a job until it finishes; its final state.</summary>
    public async Task<Jobs.JobState> WaitDoneAsync(string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (DateTime.UtcNow < deadline)
        {
            var job = await Server.GetJsonAsync($"/v1/jobs/{id}");
            var state = Enum.Parse<Jobs.JobState>(job.GetProperty("state").GetString()!, ignoreCase: true);
            if (state is Jobs.JobState.Done or Jobs.JobState.Failed or Jobs.JobState.Cancelled) return state;
            await Task.Delay(50);
        }
        throw new TimeoutException($"job {id} did not finish in 5 minutes");
    }
}

/// <summary>Test images made in code: a filled square (its Canny edges are a square outline).</summary>
public static class TestImages
{
    public static ConditionImage Square(int size = 64, int margin = 16)
    {
        var rgb = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                bool inside = x >= margin && x < size - margin && y >= margin && y < size - margin;
                int p = 3 * (y * size + x);
                (rgb[p], rgb[p + 1], rgb[p + 2]) = inside ? ((byte)220, (byte)30, (byte)30) : ((byte)20, (byte)40, (byte)200);
            }
        return ConditionImage.Rgb(size, size, rgb);
    }

    public static string SquareBase64(int size = 64) => Convert.ToBase64String(ImageFile.EncodePng(Square(size)));

    /// <summary>Decodes a base64 PNG from a response.</summary>
    public static ConditionImage Decode(string base64) => ImageFile.LoadRgb(Convert.FromBase64String(base64), "response image");
}
