using System.ComponentModel;
using ControlNet.Checkpoints;
using ControlNet.Hub;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>Options shared by every command that opens a model argument.</summary>
public class ModelSettings : GlobalSettings
{
    [CommandOption("--revision <REV>")]
    [Description("Hub revision (branch, tag or commit) for repo ids. Default: main.")]
    public string Revision { get; init; } = "main";

    [CommandOption("--variant <VARIANT>")]
    [Description("Weights variant in diffusers folders/repos, e.g. fp16 (diffusion_pytorch_model.fp16.safetensors).")]
    public string? Variant { get; init; }

    [CommandOption("--ema")]
    [Description("Use the EMA U-Net weights (model_ema.*) of files that have them (v1-5-pruned.ckpt).")]
    public bool Ema { get; init; }

    public CheckpointOptions ToOptions() => new()
    {
        Revision = Revision,
        Variant = Variant,
        UseEma = Ema,
        Hub = HubOptions.FromEnvironment(),
        Progress = ConsoleProgress.Instance,
    };
}

/// <summary>Download progress on stderr, one line per file, rewritten in place.</summary>
public sealed class ConsoleProgress : IProgress<HubProgress>
{
    public static readonly ConsoleProgress Instance = new();
    string? _file;

    public void Report(HubProgress p)
    {
        var total = p.TotalBytes is { } t ? $" / {t / 1e6:N1} MB" : "";
        var pct = p.TotalBytes is > 0 ? $" ({100.0 * p.BytesDone / p.TotalBytes:N0}%)" : "";
        if (_file != null && _file != p.File) Console.Error.WriteLine();
        _file = p.File;
        Console.Error.Write($"\r{p.File}: {p.BytesDone / 1e6:N1} MB{total}{pct}   ");
        if (p.TotalBytes == p.BytesDone) { Console.Error.WriteLine(); _file = null; }
    }
}
