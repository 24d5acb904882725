using System.ComponentModel;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>Options every command accepts (docs/cli.md): what each one does with them is in its help.</summary>
public class GlobalSettings : CommandSettings
{
    [CommandOption("-q|--quiet")]
    [Description("No progress display and no informational output; errors still go to stderr.")]
    public bool Quiet { get; init; }

    [CommandOption("--json")]
    [Description("Write the result as JSON on stdout (commands with a result: generate, inspect, plugins list).")]
    public bool Json { get; init; }
}
