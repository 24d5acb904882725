using System.Diagnostics;
using ControlNet.Autoencoders;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Pipelines;
using ControlNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Benchmarks;

internal sealed partial class BenchRunner
{
    /// <summary>Denoising steps of a memory row: one reaches the sampling peak (every step allocates the same), and keeps a row short.</summary>
    const int MemorySteps = 1;

    /// <summary>
    /// Peak RSS of a whole generation as <c>controlnet generate</c> runs it — the SD 1.5 single file and one ControlNet
    /// loaded from safetensors files (random weights, written first), text encoding, <see cref="MemorySteps"/> Euler steps
    /// at CFG 7 and the VAE decode at the largest size — for fp32 and bf16 weight storage, each with memory policy keep
    /// and release. Each row loads and frees its own pipeline; the bench holds no other model meanwhile, so a row's peak
    /// is the generation's (plus the runtime's own ≈ 0.3 GB). The note splits it into the load phase and the generation.
    /// </summary>
    void MeasureMemory()
    {
        if (_o.Architecture != "sd15")
        {
            _notes.Add("The memory group runs on sd15 only (it needs CLIP ViT-L/14's vocabulary).");
            return;
        }
        var size = _o.Sizes.Max();
        var folder = _o.TempFolder ?? Path.Combine(Path.GetTempPath(), $"controlnet-bench-memory-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            var (basePath, controlNetPath) = WriteRandomModelFiles(folder);
            var settings = new GenerationSettings
            {
                Prompt = "a photo of a house", Width = size, Height = size, Seed = _o.Seed, Steps = MemorySteps, Sampler = "euler", GuidanceScale = 7,
                Controls = [new ControlSettings { ControlNet = "cn", Condition = Abstractions.ConditionImage.Rgb(size, size, new byte[size * size * 3]) }],
            };
            // Keep's rows first: Release fixes glibc's mmap threshold for the rest of the process (NativeHeap).
            foreach (var policy in new[] { MemoryPolicy.Keep, MemoryPolicy.Release })
                foreach (var weights in new[] { "fp32", "bf16" })
                {
                    long loadPeak = 0, generatePeak = 0;
                    double loadSeconds = 0;
                    void Call()
                    {
                        var clock = Stopwatch.StartNew();
                        using var pipeline = ControlNetPipelineLoader.Load(new PipelineOptions
                        {
                            BaseModel = basePath,
                            ControlNets = new Dictionary<string, string> { ["cn"] = controlNetPath },
                            WeightsDType = weights,
                            MemoryPolicy = policy,
                        });
                        loadSeconds = clock.Elapsed.TotalSeconds;
                        loadPeak = ProcessStats.PeakRssBytes();
                        ProcessStats.ResetPeak();
                        pipeline.Generate(settings);
                        generatePeak = ProcessStats.PeakRssBytes();
                    }
                    var row = Row($"memory.{weights}.{policy.Name()}.{size}", BenchGroups.Memory,
                        $"generation from files, {weights} weights, memory policy {policy.Name()}", size,
                        $"load + text encoding + {MemorySteps} steps Euler (CFG 7) + VAE decode, 1 ControlNet", Call,
                        Array.Empty<nn.Module>(), efficiencyRow: false, once: true);
                    if (row is null) continue;
                    _rows[^1] = row with
                    {
                        PeakRssBytes = Math.Max(loadPeak, generatePeak),
                        Note = $"peak RSS {loadPeak / 1e9:0.00} GB while loading ({loadSeconds:0.0} s), {generatePeak / 1e9:0.00} GB while generating; " +
                               $"RSS before the row {_rowStartRss / 1e9:0.00} GB",
                    };
                    _log?.Report($"  peak RSS: load {loadPeak / 1e9:0.00} GB, generation {generatePeak / 1e9:0.00} GB");
                }
        }
        finally
        {
            if (_o.TempFolder is null) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// An SD 1.5 single file (U-Net, VAE, text encoder under their original prefixes, fp32) and a ControlNet file, with
    /// random non-zero weights; the modules are freed before the rows run.
    /// </summary>
    (string BasePath, string ControlNetPath) WriteRandomModelFiles(string folder)
    {
        _log?.Report("writing SD 1.5 and a ControlNet with random weights as safetensors");
        var basePath = Path.Combine(folder, "sd15-random.safetensors");
        var controlNetPath = Path.Combine(folder, "controlnet-random.safetensors");
        using (var unet = ArchitectureCatalog.CreateUNet(_o.Architecture))
        using (var vae = new AutoencoderKL(VaeConfig()))
        using (var text = new ClipTextEncoder(ClipConfig()))
        {
            RandomWeights.Fill(unet, _o.Seed + 1);
            RandomWeights.Fill(vae, _o.Seed + 11);
            RandomWeights.Fill(text, _o.Seed + 10);
            var parts = new (nn.Module Module, ModelComponent Component)[] { (unet, ModelComponent.Unet), (vae, ModelComponent.Vae), (text, ModelComponent.TextEncoder) };
            WeightsFile.Write(basePath, parts.SelectMany(p => p.Module.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(p.Component.LdmPrefix() + kv.Key, kv.Value))));
        }
        using (var cn = ArchitectureCatalog.CreateControlNet(_o.Architecture))
        {
            RandomWeights.Fill(cn, _o.Seed + 2);
            WeightsFile.Write(controlNetPath, cn.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(ModelComponent.ControlNet.LdmPrefix() + kv.Key, kv.Value)));
        }
        ProcessStats.TrimHeap();
        return (basePath, controlNetPath);
    }
}
