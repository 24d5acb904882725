using ControlNet.Runtime;
using Spectre.Console;
using TorchSharp;

namespace ControlNet.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "version")
        {
            TorchRuntime.EnsureInitialized();
            AnsiConsole.WriteLine($"controlnet {typeof(Program).Assembly.GetName().Version} (libtorch {torch.__version__})");
            return 0;
        }
        AnsiConsole.WriteLine("usage: controlnet <command> [options]   (commands: version)");
        return args.Length == 0 ? 0 : 2;
    }
}
