using System.ComponentModel;
using ControlNet.Checkpoints;
using ControlNet.Cli.Progress;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet init --base SD --out control_init.safetensors</c> (tool_add_control.py), or
/// <c>controlnet init --arch sd15 --random --out sd15.safetensors [--control-out control.safetensors]</c>.
/// </summary>
public sealed class InitCommand : Command<InitCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--base <MODEL>")]
        [Description("SD model whose U-Net initialises the ControlNet (copied encoder and middle block, zero convs).")]
        public string? Base { get; init; }

        [CommandOption("--arch <ARCH>")]
        [Description("With --random: the architecture to generate. Only sd15 (the default).")]
        public string Arch { get; init; } = "sd15";

        [CommandOption("--random")]
        [Description("Write random-weight files of full size in the original layout (benchmarks, tests without downloads).")]
        public bool Random { get; init; }

        [CommandOption("--out <FILE>")]
        [Description("Output file (.safetensors recommended). With --base: the ControlNet (control_model.* keys). With --random: SD (U-Net, VAE, CLIP).")]
        public string Out { get; init; } = "";

        [CommandOption("--control-out <FILE>")]
        [Description("With --random: also write a random ControlNet here (zero convs zero).")]
        public string? ControlOut { get; init; }

        [CommandOption("--dtype <DTYPE>")]
        [Description("With --random: fp32 (default), fp16 or bf16.")]
        public string DType { get; init; } = "fp32";

        [CommandOption("--seed <SEED>")]
        [Description("Seed of the new weights. Default 0.")]
        public long Seed { get; init; }

        public override Spectre.Console.ValidationResult Validate()
        {
            if (Out == "") return Spectre.Console.ValidationResult.Error("init needs --out FILE.");
            if ((Base is null) == !Random) return Spectre.Console.ValidationResult.Error("init needs exactly one of --base MODEL or --random.");
            if (Random && Arch != "sd15") return Spectre.Console.ValidationResult.Error($"--arch '{Arch}' is not supported with --random; use --arch sd15.");
            return Spectre.Console.ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Runtime.TorchRuntime.EnsureInitialized();
        if (settings.Base is not null)
        {
            using var b = CheckpointLoader.Open(settings.Base, settings.ToOptions());
            var control = ControlNetInit.FromBase(b, settings.Seed);
            WeightsFile.Write(settings.Out, control);
            Console.WriteLine($"wrote {settings.Out} (ControlNet, {control.Count} tensors, {control.Sum(t => t.NumElements):N0} parameters)");
            return ExitCodes.Success;
        }
        var dtype = TensorDTypes.ParsePrecision(settings.DType);
        var sd = new[] { ModelComponent.Unet, ModelComponent.Vae, ModelComponent.TextEncoder };
        WriteProgress.Write(settings.Out, WeightInit.Random(ArchitectureShapes.Sd15, sd, dtype, settings.Seed).ToList(), settings.Quiet);
        Console.WriteLine($"wrote {settings.Out} (random SD 1.5: U-Net, VAE, CLIP text encoder)");
        if (settings.ControlOut is not null)
        {
            WriteProgress.Write(settings.ControlOut, WeightInit.Random(ArchitectureShapes.Sd15, new[] { ModelComponent.ControlNet }, dtype, settings.Seed + 1).ToList(), settings.Quiet);
            Console.WriteLine($"wrote {settings.ControlOut} (random SD 1.5 ControlNet)");
        }
        return ExitCodes.Success;
    }
}
