using System.ComponentModel;
using ControlNet.Checkpoints;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary><c>controlnet inspect FILE|FOLDER|REPO</c>: format, architecture and components, without loading tensors.</summary>
public sealed class InspectCommand : Command<InspectCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandArgument(0, "<MODEL>")]
        [Description("Weights file, diffusers folder, or Hugging Face repo id (org/name or org/name/file).")]
        public string Model { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var checkpoint = CheckpointLoader.Open(settings.Model, settings.ToOptions());
        var report = CheckpointReport.Of(checkpoint);
        Console.Write(settings.Json ? report.ToJson() + Environment.NewLine : report.ToText());
        return ExitCodes.Success;
    }
}
