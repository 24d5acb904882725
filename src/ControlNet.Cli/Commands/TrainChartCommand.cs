using System.ComponentModel;
using ControlNet.Hosting.Training;
using ControlNet.Training;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet train-chart LOG.csv OUT.png</c>: draws a training log column against steps (raw, and a moving average
/// for noisy losses). The train commands redraw (<see cref="TrainingCharts"/>) themselves at every sample step and at the end.
/// </summary>
public sealed class TrainChartCommand : Command<TrainChartCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<LOG>")] public string Log { get; init; } = "";
        [CommandArgument(1, "<OUT>")] public string Output { get; init; } = "";
        [CommandOption("--column <N>")][Description("Value column after the step (1 = loss in loss.csv, IoU in adherence.csv).")] public int Column { get; init; } = 1;
        [CommandOption("--title <TEXT>")] public string? Title { get; init; }
        [CommandOption("--smooth <N>")][Description("Moving-average window drawn over the raw curve (0 = off).")] public int Smooth { get; init; } = 50;
        [CommandOption("--log-y")][Description("Logarithmic y axis.")] public bool LogY { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Log)) throw new UserFacingException($"Log '{settings.Log}' does not exist; pass loss.csv or adherence.csv of a run folder.");
        var rows = CsvLog.Read(settings.Log);
        TrainingCharts.Draw(rows.Select(r => ((double)r.Step, r.Values[settings.Column - 1])).ToList(), settings.Output,
            settings.Title ?? Path.GetFileNameWithoutExtension(settings.Log), settings.Smooth, settings.LogY);
        Console.WriteLine($"{settings.Log} → {settings.Output} ({rows.Count} points)");
        return ExitCodes.Success;
    }
}
