using System.Diagnostics;
using ControlNet.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using AdamW = ControlNet.Training.AdamW;

namespace ControlNet.Benchmarks;

/// <summary>One measured configuration: seconds per optimizer step and the process's peak resident memory during the timed steps.</summary>
internal sealed record StepMeasurement(string Architecture, string Mode, int LatentSize, int BatchSize, double SecondsPerStep,
    long PeakResidentBytes, long TrainableParameters, long TotalParameters, bool GradientCheckpointing = false);

/// <summary>
/// The paper's overhead comparison (§4: +23 % memory, +34 % time per iteration on an A100): one ControlNet training step
/// (locked base + trainable copy) against one step fine-tuning the whole base U-Net without ControlNet, with random weights,
/// a random context and latent, batch 1, AdamW. Memory is the Linux peak RSS (VmHWM), reset after a warm-up step (which
/// allocates AdamW's moments), so it covers weights, gradients, optimizer state and activations. Run each configuration in a
/// fresh process for clean numbers (<c>controlnet train --benchmark</c> does). With <c>gradientCheckpointing</c> every
/// U-Net/ControlNet block is recomputed in backward (<see cref="ActivationCheckpoint"/>).
/// </summary>
internal static class TrainingBenchmark
{
    public const string ControlNetMode = "controlnet";
    public const string FineTuneMode = "finetune";
    /// <summary>ControlNet training with the locked U-Net stored and run in bf16 (<see cref="ControlNet.Training.TrainingPrecision.Bf16"/>).</summary>
    public const string ControlNetBf16Mode = "controlnet-bf16";

    public static StepMeasurement Measure(string architecture, string mode, int steps = 3, int latentSize = 32, int batchSize = 1,
        bool gradientCheckpointing = false)
    {
        if (mode is not (ControlNetMode or FineTuneMode or ControlNetBf16Mode)) throw new ArgumentException($"Benchmark mode '{mode}' is unknown; use {ControlNetMode}, {ControlNetBf16Mode} or {FineTuneMode}.", nameof(mode));
        bool withControlNet = mode != FineTuneMode;
        var baseType = mode == ControlNetBf16Mode ? ScalarType.BFloat16 : ScalarType.Float32;
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Time at least one step.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        manual_seed(0);
        using var unet = ArchitectureCatalog.CreateUNet(architecture);
        var a = unet.Architecture;
        int multiple = 1 << (a.Levels - 1);   // each level but the last halves the latent
        if (latentSize < multiple || latentSize % multiple != 0)
            throw new ArgumentOutOfRangeException(nameof(latentSize), latentSize, $"The {architecture} latent size must be a positive multiple of {multiple}, e.g. {4 * multiple}.");
        using var controlNet = withControlNet ? ArchitectureCatalog.CreateControlNetFromUNet(architecture, unet) : null;
        if (baseType != ScalarType.Float32) unet.to(baseType);   // after the fp32 copy into the ControlNet, as DiffusionTrainer
        var trainable = new List<(string, Parameter)>();
        foreach (var (n, p) in unet.named_parameters()) { p.requires_grad = mode == FineTuneMode; if (p.requires_grad) trainable.Add(("unet." + n, p)); }
        if (controlNet is not null) foreach (var (n, p) in controlNet.named_parameters()) { p.requires_grad = true; trainable.Add(("controlnet." + n, p)); }
        ActivationCheckpoint.Enable(unet, gradientCheckpointing);
        if (controlNet is not null) ActivationCheckpoint.Enable(controlNet, gradientCheckpointing);
        using var optimizer = new AdamW(trainable, 1e-5);
        using var x = randn(batchSize, a.InChannels, latentSize, latentSize);
        using var noise = randn(batchSize, a.OutChannels, latentSize, latentSize);
        using var t = randint(0, 1000, [batchSize], ScalarType.Int64);
        using var context = randn(batchSize, 77, a.ContextDim);
        using var hint = rand(batchSize, a.HintChannels, latentSize * a.HintDownsampling, latentSize * a.HintDownsampling);

        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            var residuals = controlNet is null ? null : controlNet.ForwardWithHint(x, hint, t, context);
            var eps = unet.Forward(x.to(baseType), t, context.to(baseType), residuals?.Select(r => r.to(baseType)).ToList());
            var loss = nn.functional.mse_loss(eps.to(ScalarType.Float32), noise);
            loss.backward();
            optimizer.Step();
        }

        Step();   // warm-up: allocates gradients and AdamW moments
        ProcessStats.TrimHeap();
        ProcessStats.ResetPeak();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) Step();
        double seconds = clock.Elapsed.TotalSeconds / steps;
        long total = unet.parameters().Sum(p => p.numel()) + (controlNet?.parameters().Sum(p => p.numel()) ?? 0);
        return new StepMeasurement(architecture, mode, latentSize, batchSize, seconds, ProcessStats.PeakRssBytes(), trainable.Sum(p => p.Item2.numel()), total, gradientCheckpointing);
    }
}
