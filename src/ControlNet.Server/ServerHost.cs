using System.Net;
using ControlNet.Hosting;
using ControlNet.Server.A1111;
using ControlNet.Server.Api;
using ControlNet.Server.Jobs;
using ControlNet.Server.Queue;
using ControlNet.Server.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ControlNet.Server;

/// <summary>
/// Builds the server: Kestrel on <see cref="ServerOptions.Listen"/>, the ControlNet host, the queue (in-process, or
/// Redis with <see cref="ServerOptions.Redis"/>), the A1111 and own endpoints, the page and the OpenAPI document
/// (<c>/openapi/v1.json</c>). <c>controlnet serve</c> runs it; tests start it on a free loopback port.
/// </summary>
public static class ServerHost
{
    public static WebApplication Build(ServerOptions options, Action<IServiceCollection>? configureServices = null, Action<ILoggingBuilder>? configureLogging = null)
    {
        var endpoint = ParseListen(options.Listen);
        if (!IPAddress.IsLoopback(endpoint.Address) && options.ApiKey is null)
            throw new ArgumentException($"--listen {options.Listen} is reachable from other machines; set --api-key too (or listen on 127.0.0.1).");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (configureLogging is not null) configureLogging(builder.Logging);
        else builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(endpoint);
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
        });
        configureServices?.Invoke(builder.Services);
        builder.Services.AddControlNetServerCore(options);
        if (options.Redis is null)
        {
            builder.Services.AddSingleton<InProcessJobQueue>();
            builder.Services.AddSingleton<IJobQueue>(sp => sp.GetRequiredService<InProcessJobQueue>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<InProcessJobQueue>());
        }
        else
        {
            builder.Services.AddSingleton(_ => RedisJobQueue.Connect(options));
            builder.Services.AddSingleton<IJobQueue>(sp => sp.GetRequiredService<RedisJobQueue>());
        }
        builder.Services.AddSingleton<JobSubmitter>();
        builder.Services.AddOpenApi();

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ControlNet.Server");
        app.Use((context, next) => ErrorResponses.Handle(context, next, log));
        app.Use((context, next) => ApiKeyCheck.Handle(context, next, options.ApiKey));
        app.MapOpenApi();
        PageEndpoint.Map(app);
        A1111Endpoints.Map(app);
        OwnEndpoints.Map(app);
        return app;
    }

    /// <summary>HOST:PORT (an IP address, "localhost" or "*" for every interface); port 0 picks a free one.</summary>
    public static IPEndPoint ParseListen(string listen)
    {
        int colon = listen.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(listen[(colon + 1)..], out var port) || port is < 0 or > 65535)
            throw new ArgumentException($"--listen '{listen}': expected HOST:PORT, e.g. 127.0.0.1:7860.");
        var host = listen[..colon].Trim('[', ']');
        var address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "0.0.0.0" => IPAddress.Any,
            _ => IPAddress.TryParse(host, out var a) ? a : throw new ArgumentException($"--listen '{listen}': '{host}' is not an IP address; use 127.0.0.1, 0.0.0.0 or an address of this machine."),
        };
        return new IPEndPoint(address, port);
    }

    /// <summary>The address Kestrel actually bound (after port 0 was resolved).</summary>
    public static Uri BoundAddress(WebApplication app) =>
        new(app.Urls.FirstOrDefault() ?? throw new InvalidOperationException("The server is not started."));
}
