using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;
using ControlNet.Hosting.Plugins;
using ControlNet.Hosting.Runs;
using ControlNet.Pipelines;
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

        [CommandOption("--pixel-perfect <WIDTHxHEIGHT>")]
        [Description("A1111 pixel perfect: derive --detect-resolution from the input and the output size it will be used at (e.g. 768x512), so the map needs no second resample. See --resize.")]
        public string? PixelPerfect { get; init; }

        [CommandOption("--resize <MODE>")]
        [Description("With --pixel-perfect: how the map will be fitted to the output: just-resize, crop-and-resize (default) or resize-and-fill.")]
        public string Resize { get; init; } = "crop-and-resize";

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
        if (settings.PixelPerfect is { } target) ApplyPixelPerfect(settings, target, preprocessor, source, options);
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

    static void ApplyPixelPerfect(Settings settings, string target, IPreprocessor preprocessor, PreprocessorSource source, Dictionary<string, string> options)
    {
        var parts = target.ToLowerInvariant().Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h) || w <= 0 || h <= 0)
            throw new UserFacingException($"--pixel-perfect '{target}' is not WIDTHxHEIGHT; write the output size, e.g. --pixel-perfect 768x512.", ExitCodes.Usage);
        ResizeMode resize;
        try { resize = ControlModeNames.Resize(settings.Resize); }
        catch (ArgumentException e) { throw new UserFacingException(e.Message, ExitCodes.Usage); }
        if (PixelPerfectOptions.Apply(preprocessor, source.Image, options, w, h, resize) is null)
            throw new UserFacingException($"--pixel-perfect needs an image input and a preprocessor with a detect-resolution option; '{preprocessor.Id}' on '{settings.Input}' has none. Drop --pixel-perfect.", ExitCodes.Usage);
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
