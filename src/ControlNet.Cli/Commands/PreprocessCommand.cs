using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;
using ControlNet.Hosting.Plugins;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary><c>controlnet preprocess TYPE IN OUT</c>: runs a plug-in's preprocessor and writes the condition map as PNG.</summary>
public sealed class PreprocessCommand : Command<PreprocessCommand.Settings>
{
    public sealed class Settings : PluginFolderSettings
    {
        [CommandArgument(0, "<TYPE>")]
        [Description("Preprocessor id (canny, scribble, fake-scribble, openpose, depth, normal, shuffle, tile, inpaint, …) or a plug-in id. See 'controlnet plugins list'.")]
        public string Type { get; init; } = "";

        [CommandArgument(1, "<IN>")]
        [Description("Input file: an image, or OpenPose JSON for openpose.")]
        public string Input { get; init; } = "";

        [CommandArgument(2, "<OUT>")]
        [Description("Output condition map (.png), written atomically.")]
        public string Output { get; init; } = "";

        [CommandOption("-o|--option <KEY=VALUE>")]
        [Description("A preprocessor option, e.g. --option low=50. Repeatable. Options per preprocessor: 'controlnet plugins list'.")]
        public string[] Options { get; init; } = [];

        [CommandOption("--json-out <PATH>")]
        [Description("Also write what the preprocessor detected as JSON, atomically (openpose on a photo: the keypoints as OpenPose JSON, which 'preprocess openpose PATH OUT' draws back after editing).")]
        public string? JsonOut { get; init; }

        [CommandOption("--detect-resolution <N>")]
        [Description("Shorthand for --option detect-resolution=N.")]
        public int? DetectResolution { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = ParseOptions(settings);
        if (!string.Equals(Path.GetExtension(settings.Output), ".png", StringComparison.OrdinalIgnoreCase))
            throw new UserFacingException($"Output '{settings.Output}' must be a .png file (condition maps are written as PNG).", ExitCodes.Usage);
        var catalog = settings.LoadCatalog();
        IPreprocessor preprocessor;
        try { preprocessor = catalog.FindPreprocessor(settings.Type).Preprocessor; }
        catch (KeyNotFoundException e) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
        if (!File.Exists(settings.Input))
            throw new UserFacingException($"Input '{settings.Input}' does not exist. Check the path.");

        var source = PreprocessorSources.Open(settings.Input, preprocessor.Input) with { Models = settings.Annotators() };
        ConditionImage map;
        try { map = PreprocessorGuard.Run(preprocessor, source, options, cancellationToken); }
        catch (ArgumentException e) when (e is not LimitExceededException) { throw new UserFacingException(e.Message, ExitCodes.Usage); }

        if (settings.JsonOut is not null && map.Json is null)
            throw new UserFacingException($"Preprocessor '{preprocessor.Id}' gave no JSON for --json-out (openpose on a photo does); drop --json-out.", ExitCodes.Usage);
        ImageFile.SavePng(map, settings.Output, new Dictionary<string, string>
        {
            ["controlnet:preprocessor"] = preprocessor.Id,
            ["controlnet:options"] = JsonSerializer.Serialize(options),
        });
        Console.WriteLine($"{preprocessor.Id}: {settings.Input} → {settings.Output} ({map.Width}×{map.Height})");
        if (settings.JsonOut is { } jsonPath)
        {
            AtomicFile.WriteAllBytes(jsonPath, System.Text.Encoding.UTF8.GetBytes(map.Json!));
            Console.WriteLine($"{preprocessor.Id}: detected data → {jsonPath}");
        }
        return ExitCodes.Success;
    }

    static Dictionary<string, string> ParseOptions(Settings settings)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var o in settings.Options)
        {
            int eq = o.IndexOf('=');
            if (eq <= 0) throw new UserFacingException($"Option '{o}' is not KEY=VALUE; write e.g. --option low=50.", ExitCodes.Usage);
            options[o[..eq].Trim()] = o[(eq + 1)..].Trim();
        }
        if (settings.DetectResolution is { } r) options["detect-resolution"] = r.ToString(CultureInfo.InvariantCulture);
        return options;
    }
}
