using System.ComponentModel;
using ControlNet.Checkpoints;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary><c>controlnet transfer --control C --from-base SD15 --to-base OTHER --out OUT</c> (tool_transfer_control.py).</summary>
public sealed class TransferCommand : Command<TransferCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--control <MODEL>")]
        [Description("The ControlNet trained on SD 1.5 (ControlNet-only or full ControlLDM file, diffusers, or repo id).")]
        public string Control { get; init; } = "";

        [CommandOption("--from-base <MODEL>")]
        [Description("The SD 1.5 model the ControlNet was trained on.")]
        public string FromBase { get; init; } = "";

        [CommandOption("--to-base <MODEL>")]
        [Description("The other SD 1.x model (a fine-tune) to move the ControlNet onto.")]
        public string ToBase { get; init; } = "";

        [CommandOption("--out <FILE>")]
        [Description("Output .safetensors (or .pth/.ckpt) file, original key names.")]
        public string Out { get; init; } = "";

        public override Spectre.Console.ValidationResult Validate() =>
            Control == "" || FromBase == "" || ToBase == "" || Out == ""
                ? Spectre.Console.ValidationResult.Error("transfer needs --control, --from-base, --to-base and --out.")
                : Spectre.Console.ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Runtime.TorchRuntime.EnsureInitialized();
        var options = settings.ToOptions();
        using var control = CheckpointLoader.Open(settings.Control, options);
        using var sd15 = CheckpointLoader.Open(settings.FromBase, options);
        using var other = CheckpointLoader.Open(settings.ToBase, options);
        var result = ControlNetTransfer.Compute(control, sd15, other);
        WeightsFile.Write(settings.Out, result);
        Console.WriteLine($"wrote {settings.Out} ({result.Count} tensors)");
        return ExitCodes.Success;
    }
}
