using System.ComponentModel;
using ControlNet.Server;
using Microsoft.Extensions.Hosting;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet serve</c>: the HTTP server (A1111-compatible API, its own API, the web page) on loopback by default.
/// All logic is in ControlNet.Server; this parses options and runs it until Ctrl+C or SIGTERM.
/// </summary>
public sealed class ServeCommand : AsyncCommand<ServeCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandOption("--listen <HOST:PORT>")]
        [Description("Address to listen on. Default 127.0.0.1:7860 (loopback only); any other address needs --api-key.")]
        public string? Listen { get; init; }

        [CommandOption("--api-key <KEY>")]
        [Description("Require this key on every API call (Authorization: Bearer KEY or X-Api-Key: KEY). Default: $CONTROLNET_API_KEY if set.")]
        public string? ApiKey { get; init; }

        [CommandOption("--max-body-mb <MB>")]
        [Description("Largest request body in MiB (base64 images included). Default 32.")]
        public int? MaxBodyMb { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var defaults = new ServerOptions();
        var options = settings.ToOptions(defaults) with
        {
            Listen = settings.Listen ?? defaults.Listen,
            ApiKey = settings.ApiKey ?? NullIfEmpty(Environment.GetEnvironmentVariable("CONTROLNET_API_KEY")),
            MaxBodyBytes = settings.MaxBodyMb is { } mb ? mb * 1024L * 1024 : defaults.MaxBodyBytes,
        };
        await using var app = ServerHost.Build(options);
        await app.StartAsync(cancellationToken);
        if (!settings.Quiet)
        {
            Console.Error.WriteLine($"controlnet serve: {ServerHost.BoundAddress(app)} (page at /, OpenAPI at /openapi/v1.json{(options.Redis is null ? "" : $", jobs via Redis {options.Redis}")})");
            Console.Error.WriteLine("press Ctrl+C to stop");
        }
        await app.WaitForShutdownAsync(cancellationToken);
        return ExitCodes.Success;
    }

    static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
