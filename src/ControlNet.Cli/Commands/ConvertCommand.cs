using System.ComponentModel;
using ControlNet.Checkpoints;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary><c>controlnet convert IN OUT [--to diffusers|ldm] [--dtype fp16|bf16|fp32]</c>.</summary>
public sealed class ConvertCommand : Command<ConvertCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandArgument(0, "<IN>")]
        [Description("Weights file, diffusers folder or repo id.")]
        public string Input { get; init; } = "";

        [CommandArgument(1, "<OUT>")]
        [Description("Output: a .safetensors/.pth/.ckpt/.bin file, or a folder for diffusers output.")]
        public string Output { get; init; } = "";

        [CommandOption("--to <LAYOUT>")]
        [Description("ldm (original single file, prefixed keys) or diffusers. Default: the other layout than the input's.")]
        public string? To { get; init; }

        [CommandOption("--dtype <DTYPE>")]
        [Description("Store floating-point tensors as fp16, bf16 or fp32. Default: unchanged.")]
        public string? DType { get; init; }

        public override ValidationResult Validate()
        {
            if (To is not null and not ("ldm" or "diffusers")) return ValidationResult.Error($"--to '{To}' is not a layout; use ldm or diffusers.");
            if (DType is not null and not ("fp16" or "bf16" or "fp32")) return ValidationResult.Error($"--dtype '{DType}' is not supported; use fp16, bf16 or fp32.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Runtime.TorchRuntime.EnsureInitialized();
        using var checkpoint = CheckpointLoader.Open(settings.Input, settings.ToOptions());
        var to = settings.To switch
        {
            "ldm" => KeyLayout.Ldm,
            "diffusers" => KeyLayout.Diffusers,
            _ => checkpoint.Components.All(c => c.SourceLayout == KeyLayout.Diffusers) ? KeyLayout.Ldm : KeyLayout.Diffusers,
        };
        CheckpointConverter.Convert(checkpoint, settings.Output, to, settings.DType is null ? null : TensorDTypes.ParsePrecision(settings.DType));
        Console.WriteLine($"wrote {settings.Output} ({to.ToString().ToLowerInvariant()}, {string.Join(", ", checkpoint.Components.Select(c => c.Component.DisplayName()))})");
        return ExitCodes.Success;
    }
}
