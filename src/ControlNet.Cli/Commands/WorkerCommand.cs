using System.ComponentModel;
using System.Runtime.InteropServices;
using ControlNet.Hosting;
using ControlNet.Server;
using ControlNet.Server.Queue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet worker --redis HOST:PORT</c>: takes jobs from the Redis Stream that <c>controlnet serve --redis</c>
/// fills and runs them on this machine's device, one at a time. Any number may run, anywhere.
/// </summary>
public sealed class WorkerCommand : AsyncCommand<WorkerCommand.Settings>
{
    public sealed class Settings : ServerSettings
    {
        [CommandOption("--lease <SECONDS>")]
        [Description("A job whose worker has not renewed its lease for this long is taken over by another worker. Default 30.")]
        public double? LeaseSeconds { get; init; }

        [CommandOption("--max-attempts <N>")]
        [Description("Times a job may be started; a job whose worker died every time (killed, crashed, out of memory) then fails with that reason. Default 3.")]
        public int? MaxAttempts { get; init; }

        [CommandOption("--name <NAME>")]
        [Description("This worker's consumer name in the group. Default HOST-PID.")]
        public string? Name { get; init; }

        public override Spectre.Console.ValidationResult Validate() =>
            Redis is null ? Spectre.Console.ValidationResult.Error("worker needs --redis HOST:PORT (the Redis that 'controlnet serve --redis' uses).")
                : LeaseSeconds is <= 0 ? Spectre.Console.ValidationResult.Error("--lease must be positive.")
                : MaxAttempts is < 1 ? Spectre.Console.ValidationResult.Error("--max-attempts must be 1 or more.") : Spectre.Console.ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var defaults = new ServerOptions();
        var options = settings.ToOptions(defaults) with
        {
            Lease = settings.LeaseSeconds is { } s ? TimeSpan.FromSeconds(s) : defaults.Lease,
            WorkerName = settings.Name,
            MaxAttempts = settings.MaxAttempts ?? defaults.MaxAttempts,
        };
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(settings.Quiet ? LogLevel.Warning : LogLevel.Information));
        services.AddControlNetServerCore(options);
        await using var provider = services.BuildServiceProvider();
        provider.ValidateControlNet();
        var log = provider.GetRequiredService<ILoggerFactory>().CreateLogger("controlnet.worker");
        _ = provider.GetRequiredService<Hosting.Generation.IGenerationService>();   // load the weights before taking a job

        // SIGTERM (Kubernetes, docker stop) stops after the running step; the job stays pending for another worker.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        var worker = RedisWorker.Create(provider, options, log);
        if (!settings.Quiet) Console.Error.WriteLine($"controlnet worker {worker.Name}: taking jobs from Redis {options.Redis}");
        await worker.RunAsync(stop.Token);
        return ExitCodes.Success;
    }
}
