using System.ComponentModel;
using System.Text.Json;
using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;
using ControlNet.Toy;
using ControlNet.Training;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet train-data OUT</c>: writes the toy world (coloured circles and squares on coloured backgrounds) in the
/// fill50k layout — target/N.png, source/N.png (Canny edges from the canny plug-in), mask/N.png (the shape, for the
/// adherence metric) and prompt.json.
/// </summary>
public sealed class TrainDataCommand : Command<TrainDataCommand.Settings>
{
    public sealed class Settings : PluginFolderSettings
    {
        [CommandArgument(0, "<OUT>")]
        [Description("Folder to write the dataset into.")]
        public string Output { get; init; } = "";

        [CommandOption("--count <N>")]
        public int Count { get; init; } = 2000;

        [CommandOption("--size <PX>")]
        [Description("Image side in pixels (multiple of 4 for the toy U-Net).")]
        public int Size { get; init; } = 32;

        [CommandOption("--seed <N>")]
        public int Seed { get; init; } = 1;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Count < 1) throw new UserFacingException($"--count must be at least 1, got {settings.Count}.", ExitCodes.Usage);
        if (settings.Size < 16 || settings.Size % 4 != 0) throw new UserFacingException($"--size must be a multiple of 4 of at least 16, got {settings.Size}.", ExitCodes.Usage);
        var canny = TrainSettings.ToyCanny(settings);
        foreach (var sub in new[] { "target", "source", "mask" }) Directory.CreateDirectory(Path.Combine(settings.Output, sub));
        var lines = new List<string>();
        var examples = ToyWorld.Generate(settings.Count, settings.Seed, settings.Size);
        for (int i = 0; i < examples.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var e = examples[i];
            var target = ConditionImage.Rgb(e.Size, e.Size, e.Rgb);
            ImageFile.SavePng(target, Path.Combine(settings.Output, "target", $"{i}.png"));
            ImageFile.SavePng(canny(target), Path.Combine(settings.Output, "source", $"{i}.png"));
            ImageFile.SavePng(ConditionImage.Gray(e.Size, e.Size, e.Mask), Path.Combine(settings.Output, "mask", $"{i}.png"));
            lines.Add(JsonSerializer.Serialize(new { source = $"source/{i}.png", target = $"target/{i}.png", prompt = e.Prompt }));
        }
        var index = Path.Combine(settings.Output, "prompt.json");
        File.WriteAllLines(index + ".tmp", lines);
        File.Move(index + ".tmp", index, overwrite: true);
        Console.WriteLine($"toy world: {examples.Count} examples of {settings.Size}×{settings.Size} px → {settings.Output} (prompt.json, target/, source/ = canny, mask/)");
        return ExitCodes.Success;
    }
}
