using ControlNet.Runtime;
using Spectre.Console.Cli;
using TorchSharp;

namespace ControlNet.Cli.Commands;

public sealed class VersionCommand : Command<GlobalSettings>
{
    public override int Execute(CommandContext context, GlobalSettings settings, CancellationToken cancellationToken)
    {
        TorchRuntime.EnsureInitialized();
        Console.WriteLine($"controlnet {typeof(VersionCommand).Assembly.GetName().Version} (libtorch {torch.__version__})");
        return ExitCodes.Success;
    }
}
