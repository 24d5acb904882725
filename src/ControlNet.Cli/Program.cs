using ControlNet.Cli.Commands;
using Spectre.Console.Cli;

namespace ControlNet.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args);

    /// <summary>Builds and runs the command tree; tests call this in-process.</summary>
    public static int Run(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("controlnet");
            config.PropagateExceptions();
            config.AddCommand<VersionCommand>("version").WithDescription("Print the SDK and libtorch versions.");
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
                plugins.AddCommand<PluginsListCommand>("list").WithDescription("List loaded plug-ins with versions, preprocessors, options and model files.");
            });
            config.AddCommand<BenchCommand>("bench").WithDescription("Measure steps, VAE, text encoding, loading and training against the machine's limit (docs/performance.md).");
            // Each command registers here: one file per command in Commands/.
        });
        try
        {
            return app.Run(args);
        }
        catch (CommandParseException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (CommandRuntimeException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (UserFacingException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IOException or FormatException or InvalidDataException or NotSupportedException)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return ExitCodes.Failure;
        }
    }
}
