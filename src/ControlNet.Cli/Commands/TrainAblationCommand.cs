using System.ComponentModel;
using System.Globalization;
using ControlNet.Checkpoints;
using ControlNet.Hosting;
using ControlNet.Hosting.Training;
using ControlNet.Models.Variants;
using ControlNet.Toy;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary>
/// <c>controlnet train-ablation</c>: the paper's ablation (§4.3, Fig. 8) on the toy world, as the library's
/// <see cref="ToyAblation"/> runs it: train each variant next to the locked toy base, score shape IoU of held-out scenes
/// under the four prompt settings. Writes OUTPUT/ablation.csv, OUTPUT/ablation.png and prints a Markdown table.
/// </summary>
public sealed class TrainAblationCommand : Command<TrainAblationCommand.Settings>
{
    public sealed class Settings : PluginFolderSettings
    {
        [CommandOption("--base <MODEL>")]
        [Description("The locked toy base: a model folder with controlnet-model.json (default: the shipped models/toy).")]
        public string? Base { get; init; }

        [CommandOption("-o|--output <DIR>")]
        [Description("Folder for ablation.csv and ablation.png.")]
        public string Output { get; init; } = "";

        [CommandOption("--variants <LIST>")]
        [Description("Comma-separated variants (default controlnet,lite,gaussian-init).")]
        public string Variants { get; init; } = string.Join(",", ControlNetVariants.Names);

        [CommandOption("--seeds <LIST>")]
        [Description("Comma-separated training seeds, one run per variant and seed (default 1).")]
        public string Seeds { get; init; } = "1";

        [CommandOption("--steps <N>")]
        public long Steps { get; init; } = 300;

        [CommandOption("--batch-size <N>")]
        public int BatchSize { get; init; } = 8;

        [CommandOption("--learning-rate|--lr <LR>")]
        public double LearningRate { get; init; } = 1e-3;

        [CommandOption("--eval-count <N>")]
        [Description("Held-out scenes per prompt setting (default 32).")]
        public int EvalCount { get; init; } = 32;

        [CommandOption("--train-count <N>")]
        [Description("Training scenes (toy world, seed 1; default 2000).")]
        public int TrainCount { get; init; } = 2000;

        [CommandOption("--sampling-steps <N>")]
        [Description("DDIM steps of the evaluation samples (default 20).")]
        public int SamplingSteps { get; init; } = 20;

        [CommandOption("--threads <N>")]
        [Description("libtorch intra-op threads (default: all cores).")]
        public int? Threads { get; init; }

        public override Spectre.Console.ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Output) ? Spectre.Console.ValidationResult.Error("--output <DIR> is required: the folder for ablation.csv and ablation.png.") : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Threads is { } t) TorchSharp.torch.set_num_threads(t);
        var baseFolder = settings.Base ?? DefaultModel.Path;
        if (!ModelFolderManifestExists(baseFolder))
            throw new UserFacingException($"--base '{baseFolder}' is not a toy model folder (no controlnet-model.json); pass models/toy or the model/ of a train-base run.", ExitCodes.Usage);
        ToyAblationOptions options;
        try
        {
            options = new ToyAblationOptions
            {
                Variants = settings.Variants.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(ControlNetVariants.Parse).ToList(),
                Seeds = settings.Seeds.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(s => long.TryParse(s, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--seeds '{settings.Seeds}': '{s}' is not an integer; write e.g. --seeds 1,2.")).ToList(),
                Steps = settings.Steps, BatchSize = settings.BatchSize, LearningRate = settings.LearningRate, EvalCount = settings.EvalCount,
                TrainCount = settings.TrainCount, SamplingSteps = settings.SamplingSteps,
            };
        }
        catch (ArgumentException e) { throw new UserFacingException(e.Message, ExitCodes.Usage); }

        IReadOnlyList<ToyAblationResult> results;
        try { results = ToyAblation.Run(baseFolder, options, TrainSettings.ToyCanny(settings), Console.WriteLine, cancellationToken); }
        catch (ArgumentException e) { throw new UserFacingException(e.Message, ExitCodes.Usage); }

        Directory.CreateDirectory(settings.Output);
        var csv = Path.Combine(settings.Output, "ablation.csv");
        AtomicFile.Write(csv, s =>
        {
            using var w = new StreamWriter(s, leaveOpen: true);
            w.WriteLine("variant,seed,setting,iou");
            foreach (var r in results)
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(r.Variant is { } v ? v.Name() : "base")},{r.Seed},{r.Setting},{r.Iou:F4}"));
        });
        // Mean over seeds per variant and setting; the base alone is the chance level.
        var rows = new List<(string Name, IReadOnlyList<double> Values)> { ("base alone", ToyAblation.Settings.Select(s => results.Single(r => r.Variant is null && r.Setting == s).Iou).ToList()) };
        foreach (var v in options.Variants)
            rows.Add((v.Name(), ToyAblation.Settings.Select(s => results.Where(r => r.Variant == v && r.Setting == s).Average(r => r.Iou)).ToList()));
        var png = Path.Combine(settings.Output, "ablation.png");
        BarChart.Draw(png, $"toy ablation: shape IoU, {options.Steps} steps x batch {options.BatchSize}, {options.Seeds.Count} seed(s)", ToyAblation.Settings, rows, 1.0, "IoU");
        Console.WriteLine();
        Console.WriteLine("| variant | " + string.Join(" | ", ToyAblation.Settings) + " |");
        Console.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---|", ToyAblation.Settings.Count)));
        foreach (var (name, values) in rows)
            Console.WriteLine($"| {name} | " + string.Join(" | ", values.Select(x => x.ToString("F3", CultureInfo.InvariantCulture))) + " |");
        Console.WriteLine($"\n{csv}, {png}");
        return ExitCodes.Success;
    }

    static bool ModelFolderManifestExists(string folder) => Pipelines.ModelFolderManifest.IsModelFolder(folder);
}
