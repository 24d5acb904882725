using System.Diagnostics;
using System.Globalization;
using System.Reflection;
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
    /// and release. Each row runs in a child process of its own (<see cref="BenchOptions.MemoryRow"/>), so its peak is a
    /// fresh process's, as a <c>controlnet generate</c> run's is: what one row leaves behind (allocator slack, handles
    /// awaiting finalisation) cannot inflate the next. The note splits the load phase from the generation.
    /// </summary>
    void MeasureMemory()
    {
        if (_o.Architecture != "sd15")
        {
            _notes.Add("The memory group runs on sd15 only (it needs CLIP ViT-L/14's vocabulary).");
            return;
        }
        var size = _o.Sizes.Max();
        if (_o.MemoryRow is { } only)
        {
            var parts = only.Split(':');
            var (basePath, controlNetPath) = ModelFilePaths(_o.TempFolder ?? throw new ArgumentException("--memory-row needs --temp-folder (the memory group passes both)."));
            var (load, generate, loadSeconds) = MeasureMemoryRow(basePath, controlNetPath, parts[0], MemoryPolicies.Parse(parts[1]), size);
            _log?.Report($"{MemoryRowResult} {load} {generate} {loadSeconds.ToString(CultureInfo.InvariantCulture)}");
            return;
        }
        var folder = _o.TempFolder ?? Path.Combine(Path.GetTempPath(), $"controlnet-bench-memory-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            WriteRandomModelFiles(folder);
            foreach (var policy in new[] { MemoryPolicy.Keep, MemoryPolicy.Release })
                foreach (var weights in new[] { "fp32", "bf16" })
                {
                    long loadPeak = 0, generatePeak = 0;
                    double loadSeconds = 0;
                    void Call() => (loadPeak, generatePeak, loadSeconds) = RunMemoryChild(folder, weights, policy, size);
                    var row = Row($"memory.{weights}.{policy.Name()}.{size}", BenchGroups.Memory,
                        $"generation from files, {weights} weights, memory policy {policy.Name()}", size,
                        $"load + text encoding + {MemorySteps} steps Euler (CFG 7) + VAE decode, 1 ControlNet; own process", Call,
                        Array.Empty<nn.Module>(), efficiencyRow: false, once: true);
                    if (row is null) continue;
                    _rows[^1] = row with
                    {
                        PeakRssBytes = Math.Max(loadPeak, generatePeak),
                        Note = $"peak RSS {loadPeak / 1e9:0.00} GB while loading ({loadSeconds:0.0} s), {generatePeak / 1e9:0.00} GB while generating (own process)",
                    };
                    _log?.Report($"  peak RSS: load {loadPeak / 1e9:0.00} GB, generation {generatePeak / 1e9:0.00} GB");
                }
        }
        finally
        {
            if (_o.TempFolder is null) Directory.Delete(folder, recursive: true);
        }
    }

    const string MemoryRowResult = "memory-row-result";

    /// <summary>One memory row in this process: load (peak 1), generate (peak 2, reset in between).</summary>
    (long LoadPeak, long GeneratePeak, double LoadSeconds) MeasureMemoryRow(string basePath, string controlNetPath, string weights, MemoryPolicy policy, int size)
    {
        var settings = new GenerationSettings
        {
            Prompt = "a photo of a house", Width = size, Height = size, Seed = _o.Seed, Steps = MemorySteps, Sampler = "euler", GuidanceScale = 7,
            Controls = [new ControlSettings { ControlNet = "cn", Condition = Abstractions.ConditionImage.Rgb(size, size, new byte[size * size * 3]) }],
        };
        ProcessStats.TrimHeap();
        ProcessStats.ResetPeak();
        var clock = Stopwatch.StartNew();
        using var pipeline = ControlNetPipelineLoader.Load(new PipelineOptions
        {
            BaseModel = basePath,
            ControlNets = new Dictionary<string, string> { ["cn"] = controlNetPath },
            WeightsDType = weights,
            MemoryPolicy = policy,
        });
        double loadSeconds = clock.Elapsed.TotalSeconds;
        long loadPeak = ProcessStats.PeakRssBytes();
        ProcessStats.ResetPeak();
        pipeline.Generate(settings);
        return (loadPeak, ProcessStats.PeakRssBytes(), loadSeconds);
    }

    /// <summary>Runs one memory row in a child <c>controlnet bench --memory-row</c> and reads its result line.</summary>
    (long LoadPeak, long GeneratePeak, double LoadSeconds) RunMemoryChild(string folder, string weights, MemoryPolicy policy, int size)
    {
        var exe = Environment.ProcessPath ?? throw new InvalidOperationException("The bench cannot find its own executable to start a memory row.");
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);   // dotnet controlnet.dll
        foreach (var a in new[] { "bench", "--only", "memory", "--sizes", size.ToString(CultureInfo.InvariantCulture), "--threads", _o.Threads.ToString(CultureInfo.InvariantCulture),
                     "--runs", "1", "--memory-row", $"{weights}:{policy.Name()}", "--temp-folder", folder })
            start.ArgumentList.Add(a);
        using var child = Process.Start(start)!;
        var errors = child.StandardError.ReadToEndAsync(_ct);
        string? result = null;
        while (child.StandardOutput.ReadLine() is { } line)
            if (line.Contains(MemoryRowResult, StringComparison.Ordinal)) result = line[(line.IndexOf(MemoryRowResult, StringComparison.Ordinal) + MemoryRowResult.Length)..].Trim();
        child.WaitForExit();
        if (result is null)
            throw new InvalidOperationException($"the memory row's process ended with exit code {child.ExitCode} and no result: {errors.Result.Split('\n').FirstOrDefault(l => l.Trim().Length > 0)}");
        var f = result.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), double.Parse(f[2], CultureInfo.InvariantCulture));
    }

    static (string BasePath, string ControlNetPath) ModelFilePaths(string folder) =>
        (Path.Combine(folder, "sd15-random.safetensors"), Path.Combine(folder, "controlnet-random.safetensors"));

    /// <summary>
    /// An SD 1.5 single file (U-Net, VAE, text encoder under their original prefixes, fp32) and a ControlNet file, with
    /// random non-zero weights; the modules are freed before the rows run.
    /// </summary>
    (string BasePath, string ControlNetPath) WriteRandomModelFiles(string folder)
    {
        _log?.Report("writing SD 1.5 and a ControlNet with random weights as safetensors");
        var (basePath, controlNetPath) = ModelFilePaths(folder);
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
