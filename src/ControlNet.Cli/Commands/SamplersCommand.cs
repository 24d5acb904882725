using ControlNet.Sampling;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>Lists every sampler with its A1111 name; both spellings work for --sampler and in run files.</summary>
public sealed class SamplersCommand : Command<GlobalSettings>
{
    public override int Execute(CommandContext context, GlobalSettings settings, CancellationToken cancellationToken)
    {
        int width = SamplerFactory.All.Max(n => n.Name.Length) + 2;
        int a1111Width = SamplerFactory.All.Max(n => (n.A1111Name ?? "-").Length + 2) + 2;
        Console.WriteLine($"{"name".PadRight(width)}{"A1111 name".PadRight(a1111Width)}description");
        foreach (var n in SamplerFactory.All)
            Console.WriteLine($"{n.Name.PadRight(width)}{(n.A1111Name is null ? "-" : $"\"{n.A1111Name}\"").PadRight(a1111Width)}{n.Description}");
        return ExitCodes.Success;
    }
}
