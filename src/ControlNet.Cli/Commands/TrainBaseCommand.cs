using System.ComponentModel;
using ControlNet.Abstractions;
using ControlNet.Hosting.Training;
using ControlNet.Toy;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet train-base</c>: trains the pixel-space toy U-Net from scratch on a dataset (the toy world), with the toy
/// tokenizer and a frozen random tiny text encoder made on the first run. Writes a model folder (OUTPUT/model) that
/// <c>controlnet train --base</c> and the pipeline load. The work is the library's <see cref="BaseModelTrainingSession"/>;
/// this command parses options into it and supplies the toy world's text side.
/// </summary>
public sealed class TrainBaseCommand : Command<TrainBaseCommand.Settings>
{
    public sealed class Settings : TrainSettings
    {
        [CommandOption("--architecture <NAME>")]
        [Description("Pixel-space architecture to train (toy).")]
        public string Architecture { get; init; } = "toy";

        [CommandOption("--image-size <PX>")]
        public int ImageSize { get; init; } = 32;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        settings.ApplyThreads();
        var data = settings.ReadData(null);
        var session = new BaseModelTrainingSettings
        {
            Architecture = settings.Architecture, ImageSize = settings.ImageSize, Output = settings.Output,
            Description = "Toy world base model trained by 'controlnet train-base' (pixel space, identity autoencoder, frozen random text encoder).",
            WriteTextSide = (folder, manifest) => ToyText.WriteTextSide(folder, manifest, settings.Seed),
            LearningRate = settings.LearningRate, EmptyPromptRate = settings.EmptyPromptRate,
            BatchSize = settings.BatchSize, GradientAccumulation = settings.GradientAccumulation, EmaDecay = settings.Ema, Seed = settings.Seed,
            GradientCheckpointing = settings.GradientCheckpointing,
            Steps = settings.Steps, CheckpointEvery = settings.CheckpointEvery, SampleEvery = settings.SampleEvery, Resume = settings.Resume,
            Samples = !settings.NoSamples,
        };
        try { BaseModelTrainingSession.Run(session, data, Console.WriteLine, cancellationToken); }
        catch (ArgumentException e) when (e is not LimitExceededException) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
        return ExitCodes.Success;
    }
}
