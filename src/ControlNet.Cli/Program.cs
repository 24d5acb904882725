using ControlNet.Cli.Commands;
using ControlNet.Cli.Generation;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ControlNet.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // Before anything touches TorchSharp: OpenMP reads its environment once, when libtorch loads.
        Runtime.ThreadingDefaults.Apply();
        return Run(args);
    }

    /// <summary>
    /// Builds and runs the command tree; tests call this in-process. <paramref name="configureServices"/> adds services
    /// before <c>generate</c> registers the host (TryAdd keeps them), e.g. a replacement pipeline factory.
    /// </summary>
    public static int Run(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        // --verbose is global and handled here (not by each command): it only changes how an unexpected error is printed.
        var verbose = args.Contains("--verbose", StringComparer.Ordinal) || Environment.GetEnvironmentVariable("CONTROLNET_VERBOSE") == "1";
        args = args.Where(a => a != "--verbose").ToArray();
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("controlnet");
            // `controlnet --version`: the package version (`controlnet version` adds libtorch's, which needs it loaded).
            config.SetApplicationVersion(VersionCommand.SdkVersion);
            // Bound to the current Console.Out on every run (AnsiConsole's default binds once, which in-process callers
            // that redirect the console would miss); an unknown option is an error, not a silently ignored argument.
            config.ConfigureConsole(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) }));
            config.UseStrictParsing();
            config.PropagateExceptions();
            config.AddCommand<GenerateCommand>("generate").WithData(new GenerateHooks(configureServices))
                .WithDescription("Generate images from a prompt with any number of ControlNets (--control TYPE:IMAGE[[:key=value,…]]).")
                // Both run when pasted: the first anywhere the shipped toy model is (build output, publish folder, tool),
                // the second from a checkout's root (the README's main job).
                // Spectre prints the arguments as given, so the prompt carries its shell quotes.
                .WithExample("generate", "--prompt", "\"red square on blue background\"", "--seed", "1", "--out", "toy.png")
                .WithExample("generate", "--prompt", "\"red square on blue background\"", "--control", "canny:samples/toy-square.png:detect-resolution=64", "--seed", "1", "--out", "toy.png");
            config.AddCommand<VersionCommand>("version").WithDescription("Print the SDK and libtorch versions.");
            config.AddCommand<SamplersCommand>("samplers").WithDescription("List the samplers with their A1111 names (both work for --sampler).");
            config.AddCommand<InspectCommand>("inspect").WithDescription("Show the format, architecture and components of a checkpoint.");
            config.AddCommand<ConvertCommand>("convert").WithDescription("Convert a checkpoint between original (ldm) and diffusers layouts and precisions.");
            config.AddCommand<InitCommand>("init").WithDescription("Create a ControlNet from a base model, or random full-size SD 1.5 files.");
            config.AddCommand<TransferCommand>("transfer").WithDescription("Move a ControlNet from SD 1.5 onto another SD 1.x model.");
            config.AddBranch("models", m =>
            {
                m.SetDescription("Hugging Face cache: list and download models.");
                m.AddCommand<ModelsListCommand>("list").WithDescription("List models in the Hugging Face cache.");
                m.AddCommand<ModelsDownloadCommand>("download").WithDescription("Download a model (repo id) into the Hugging Face cache.");
            });
            config.AddCommand<PreprocessCommand>("preprocess").WithDescription("Turn an image (or pose JSON) into a condition map with a plug-in's preprocessor.");
            config.AddBranch("plugins", plugins =>
            {
                plugins.SetDescription("Condition plug-ins.");
                plugins.AddCommand<PluginsListCommand>("list").WithDescription("List loaded plug-ins with versions, preprocessors, options and model files, and the installed packages.");
                plugins.AddCommand<PluginsInstallCommand>("install").WithDescription("Install a plug-in package (PACKAGE[[@VERSION]]) from NuGet feeds into $CONTROLNET_HOME/plugins.");
                plugins.AddCommand<PluginsUpdateCommand>("update").WithDescription("Update one or all installed plug-in packages to their newest version.");
                plugins.AddCommand<PluginsRemoveCommand>("remove").WithDescription("Remove an installed plug-in package.");
            });
            config.AddCommand<TrainDataCommand>("train-data").WithDescription("Write the toy world dataset (circles and squares, canny edges, masks) in the fill50k layout.");
            config.AddCommand<TrainBaseCommand>("train-base").WithDescription("Train a pixel-space base U-Net from scratch (the toy world).");
            config.AddCommand<TrainCommand>("train").WithDescription("Train a ControlNet next to a locked base model (paper §3); --benchmark for the overhead table.");
            config.AddCommand<TrainAblationCommand>("train-ablation").WithDescription("The paper's ablation on the toy world: train controlnet/lite/gaussian-init, score shape IoU under four prompt settings.");
            config.AddCommand<TrainChartCommand>("train-chart").WithDescription("Draw a training log (loss.csv, adherence.csv) as a PNG chart.");
            // serve and worker run until stopped, so they carry no example: the root help's examples are pasted and run to completion (PublishTests).
            config.AddCommand<ServeCommand>("serve").WithDescription("Serve the A1111-compatible API, the SDK's own API and a web page (docs/server.md).");
            config.AddCommand<WorkerCommand>("worker").WithDescription("Run jobs from the Redis queue of 'serve --redis' (docs/server.md).");
            config.AddCommand<BenchCommand>("bench").WithDescription("Measure steps, VAE, text encoding, loading and training against the machine's limit (docs/performance.md).");
            // Each command registers here: one file per command in Commands/.
        });
        // Async commands are run synchronously here; without a synchronization context their continuations cannot wait
        // for a thread the caller is blocking (a UI or a test runner's context would deadlock).
        var callerContext = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            return app.Run(args);
        }
        catch (Exception e)
        {
            var (code, message) = ErrorReport.Describe(e);
            Console.Error.WriteLine(message);
            if (code == ExitCodes.Internal)
                Console.Error.WriteLine(verbose ? e.ToString() : "Run again with --verbose for the stack trace, and report it if the input was valid.");
            return code;
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(callerContext);
        }
    }
}
