using System.Diagnostics;
using ControlNet.Abstractions;
using ControlNet.Models.Variants;
using ControlNet.Pipelines;
using ControlNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Toy;

/// <summary>What <see cref="ToyAblation.Run"/> trains and measures.</summary>
public sealed record ToyAblationOptions
{
    public IReadOnlyList<ControlNetVariant> Variants { get; init; } = Enum.GetValues<ControlNetVariant>();
    /// <summary>One training run per variant and seed (the seed drives init, data order and noise).</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [1];
    public long Steps { get; init; } = 300;
    public int BatchSize { get; init; } = 8;
    /// <summary>1e-3: the rate at which the toy ControlNet's control emerges within a few hundred steps (docs/training.md).</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Training scenes (seed 1, the train-data default) and held-out scenes (<see cref="ToyAdherence.HeldOutSeed"/>).</summary>
    public int TrainCount { get; init; } = 2000;
    public int EvalCount { get; init; } = 32;
    /// <summary>DDIM steps of the evaluation samples.</summary>
    public int SamplingSteps { get; init; } = 20;
}

/// <summary>One measured cell: mean shape IoU of the held-out scenes under one prompt setting; Variant null = the base alone.</summary>
public sealed record ToyAblationResult(ControlNetVariant? Variant, long Seed, string Setting, double Iou);

/// <summary>
/// The paper's ablation (§4.3, Fig. 8) in the toy world: train each <see cref="ControlNetVariant"/> next to the locked
/// toy base on Canny maps, then generate the held-out scenes under the paper's four prompt settings and score shape
/// adherence (<see cref="ShapeAdherence.Iou"/>). Prompt settings for a scene "C S on B background" (colour C, shape S):
/// no prompt = ""; insufficient = "B background" (nothing about the object); conflicting = "C S' on B background" with
/// S' the other shape (the text contradicts the edges); perfect = the scene's own prompt.
/// </summary>
public static class ToyAblation
{
    public static IReadOnlyList<string> Settings { get; } = ["no prompt", "insufficient", "conflicting", "perfect"];

    /// <summary>The prompt of <paramref name="setting"/> for scene <paramref name="e"/>.</summary>
    public static string Prompt(string setting, ToyExample e) => setting switch
    {
        "no prompt" => "",
        "insufficient" => $"{e.Background} background",
        "conflicting" => ToyWorld.Prompt(ToyWorld.Shapes.First(s => s != e.Shape), e.Color, e.Background),
        "perfect" => e.Prompt,
        _ => throw new ArgumentOutOfRangeException(nameof(setting), setting, $"Use one of: {string.Join(", ", Settings)}."),
    };

    /// <summary>Trains and measures; returns the base's row per setting first, then one per variant, seed and setting.</summary>
    /// <param name="baseFolder">a toy model folder (models/toy): its U-Net stays locked</param>
    /// <param name="makeCondition">target → condition map (canny at the toy world's settings)</param>
    public static IReadOnlyList<ToyAblationResult> Run(string baseFolder, ToyAblationOptions options, Func<ConditionImage, ConditionImage> makeCondition,
        Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(makeCondition);
        log ??= _ => { };
        if (options.Steps < 1 || options.BatchSize < 1 || options.EvalCount < 1 || options.TrainCount < options.BatchSize || options.Seeds.Count == 0 || options.Variants.Count == 0)
            throw new ArgumentException($"The ablation needs steps ≥ 1, batch ≥ 1, at least one seed and variant, ≥ 1 held-out scene and at least a batch of training scenes; got {options}.");
        var manifest = ModelFolderManifest.Read(baseFolder);
        int size = manifest.ImageSize ?? 32;
        double guidance = manifest.GuidanceScale ?? 3.0;
        using var unet = ModelFolder.LoadUNet(baseFolder, manifest);
        using var prompts = new PromptEncoder(ModelFolder.LoadTokenizer(baseFolder, manifest), ModelFolder.LoadTextEncoder(baseFolder, manifest));

        var train = new TrainingSet(ToyWorld.Generate(options.TrainCount, 1, size)
            .Select(e => { var rgb = ConditionImage.Rgb(size, size, e.Rgb); return new TrainingExample(rgb, makeCondition(rgb), e.Prompt); }).ToList());
        var held = ToyWorld.Generate(options.EvalCount, ToyAdherence.HeldOutSeed, size);
        using var hints = cat(held.Select(e => makeCondition(ConditionImage.Rgb(size, size, e.Rgb)).ToRgb8().ToTensor()).ToList(), 0);   // [N, 3, H, W]

        double Score(nn.Module? controlNet, string setting)
        {
            var texts = held.Select(e => Prompt(setting, e)).ToList();
            var images = PreviewSampler.Generate(unet, controlNet, prompts, texts, controlNet is null ? null : hints, size, seed: 1234, steps: options.SamplingSteps, guidanceScale: guidance);
            return held.Select((e, i) => ShapeAdherence.Iou(images[i], e.Mask, size)).Average();
        }

        var results = new List<ToyAblationResult>();
        foreach (var setting in Settings)
        {
            results.Add(new ToyAblationResult(null, 0, setting, Score(null, setting)));
            log($"base alone, {setting}: IoU {results[^1].Iou:F3}");
        }
        foreach (var seed in options.Seeds)
            foreach (var variant in options.Variants)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var controlNet = ControlNetVariants.Create(variant, manifest.Architecture, unet, seed);
                var clock = Stopwatch.StartNew();
                using (var trainer = new DiffusionTrainer(unet, controlNet, prompts, train,
                    new TrainingOptions { BatchSize = options.BatchSize, LearningRate = options.LearningRate, Seed = seed }))
                    while (trainer.Step < options.Steps)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        double loss = trainer.TrainStep();
                        if (trainer.Step % 50 == 0 || trainer.Step == options.Steps)
                            log($"{variant.Name()} seed {seed}: step {trainer.Step}/{options.Steps}, loss {loss:G4}, {clock.Elapsed.TotalSeconds / trainer.Step:F2} s/step");
                    }
                foreach (var setting in Settings)
                {
                    results.Add(new ToyAblationResult(variant, seed, setting, Score(controlNet, setting)));
                    log($"{variant.Name()} seed {seed}, {setting}: IoU {results[^1].Iou:F3}");
                }
            }
        return results;
    }
}
