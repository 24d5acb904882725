using System.Reflection;
using ControlNet.Runtime;
using Spectre.Console.Cli;
using TorchSharp;

namespace ControlNet.Cli.Commands;

public sealed class VersionCommand : Command<GlobalSettings>
{
    /// <summary>The package version (informational version without the source-control suffix), e.g. 0.1.0.</summary>
    public static string SdkVersion { get; } = (typeof(VersionCommand).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];

    public override int Execute(CommandContext context, GlobalSettings settings, CancellationToken cancellationToken)
    {
        TorchRuntime.EnsureInitialized();
        Console.WriteLine($"controlnet {SdkVersion} (libtorch {torch.__version__})");
        Console.WriteLine($"threads: {torch.get_num_threads()} intra-op; {ThreadingDefaults.Apply().Describe()}");
        Console.WriteLine($"Intel AMX: {AmxGuard.State}");
        return ExitCodes.Success;
    }
}
