using System.Diagnostics;
using System.Runtime.InteropServices;
using ControlNet.Autoencoders;
using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Benchmarks;

/// <summary>
/// <c>controlnet bench</c> as a library call: measures the reference convolution, text encoding, VAE, model loading,
/// denoising steps (U-Net, ControlNet, both, two ControlNets, the plain eager port), one-switch ablations and training
/// steps, all in one process so every figure shares the machine's state of the moment.
/// </summary>
internal sealed partial class BenchRunner
{
    readonly BenchOptions _o;
    readonly IProgress<string>? _log;
    readonly CancellationToken _ct;
    readonly List<Measurement> _rows = new();
    readonly List<string> _notes = new();
    readonly List<StepProfile> _profiles = new();
    readonly List<AnnotatorComparison> _annotators = new();
    long _rowStartRss;      // RSS when the last row's peak was reset (after the heap trim)
    readonly UNetArchitecture _arch;
    double? _convGflops;
    nn.Module<Tensor, Tensor>? _probeConv;
    Tensor? _probeInput;
    DateTimeOffset _started;
    double[] _loadStart = Array.Empty<double>();
    MachineInfo? _machine;

    BenchRunner(BenchOptions options, IProgress<string>? log, CancellationToken ct)
    {
        _o = options.Validate();
        _log = log;
        _ct = ct;
        _arch = ArchitectureCatalog.Get(_o.Architecture).Architecture;
    }

    public static BenchReport Run(BenchOptions options, IProgress<string>? log = null, CancellationToken cancellationToken = default) =>
        new BenchRunner(options, log, cancellationToken).Run();

    BenchReport Run()
    {
        var threading = Runtime.ThreadingDefaults.Apply();
        Runtime.TorchRuntime.EnsureInitialized();
        using var background = _o.BackgroundLoad > 0 ? new BackgroundLoad(_o.BackgroundLoad) : null;
        var started = _started = DateTimeOffset.Now;
        var loadStart = _loadStart = ProcessStats.LoadAverage();
        var previousThreads = torch.get_num_threads();
        torch.set_num_threads(_o.Threads);
        var machine = new MachineInfo(ProcessStats.CpuModel(), Environment.ProcessorCount, torch.get_num_threads(),
            RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription,
            typeof(torch).Assembly.GetName().Version?.ToString() ?? "?", ProcessStats.AvailableMemoryBytes(),
            ProcessStats.CpuFlags(), torch.get_num_interop_threads(), threading.Describe(), _o.BackgroundLoad);
        _machine = machine;
        if (!ProcessStats.ResetPeak())
            _notes.Add("Could not reset VmHWM (/proc/self/clear_refs); per-row peak RSS is the process peak so far.");
        if (_o.BackgroundLoad > 0)
            _notes.Add($"{_o.BackgroundLoad} busy background thread(s) ran beside the bench for the whole run (--background-load).");
        if (loadStart[0] > _o.Threads)
            _notes.Add($"The machine was busy at the start (1-minute load average {loadStart[0]:0.00} on {Environment.ProcessorCount} logical cores): absolute times are inflated; the efficiency column (ratio to a convolution measured in the same run) is the figure to compare.");
        try
        {
            MeasureConvolution();
            MeasureModels();
            var macChecks = _o.Architecture == "sd15" ? CheckMacs() : Array.Empty<MacCheck>();
            if (_o.Includes(BenchGroups.Train)) MeasureTraining();
            if (_o.Includes(BenchGroups.FewStep)) MeasureFewStep();
            if (_o.Includes(BenchGroups.Annotators)) MeasureAnnotators();
            if (_o.Includes(BenchGroups.Memory)) MeasureMemory();
            return Snapshot(macChecks);
        }
        finally
        {
            _probeConv?.Dispose();
            _probeInput?.Dispose();
            torch.set_num_threads(previousThreads);
        }
    }

    /// <summary>The report of what has been measured so far.</summary>
    BenchReport Snapshot(IReadOnlyList<MacCheck> macChecks)
    {
        var report = new BenchReport(_started, DateTimeOffset.Now - _started, _machine!, _o.Architecture, _o.Sizes, _o.Warmup, _o.Runs, _o.Batch,
            _o.Execution.Label, ExecutionOptions.PlainEager.Label, _loadStart, ProcessStats.LoadAverage(), _convGflops, macChecks, _rows.ToArray(),
            ReportedBaselines.All, Array.Empty<TargetResult>(), _rows.Count == 0 ? ProcessStats.PeakRssBytes() : _rows.Max(r => r.PeakRssBytes), _notes.ToArray(),
            _annotators.ToArray(), _profiles.ToArray());
        return report with { Targets = BenchTargets.Evaluate(report) };
    }

    // ---- the reference convolution ------------------------------------------------------------------------------

    void MeasureConvolution()
    {
        var c = _o.ConvChannels;
        _probeConv = nn.Conv2d(c, c, 3, padding: 1);
        RandomWeights.Fill(_probeConv, _o.Seed);
        _probeInput = randn(_o.Batch, c, _o.ConvSide, _o.ConvSide);                          // [B, C, 64, 64]
        var conv = _probeConv;
        var x = _probeInput;
        void Call()
        {
            using var mode = torch.inference_mode();
            using var y = conv.call(x);
        }
        var name = $"3×3 conv {c}→{c} on [{_o.Batch}, {c}, {_o.ConvSide}, {_o.ConvSide}]";
        var row = Row("conv.reference", BenchGroups.Conv, name, null, $"{_o.Threads} threads", Call, new nn.Module[] { conv }, efficiencyRow: false);
        _convGflops = row?.GflopPerSecond;
        if (_o.Threads > 1)
        {
            torch.set_num_threads(1);
            try
            {
                Row("conv.reference.1thread", BenchGroups.Conv, name, null, "1 thread", Call, new nn.Module[] { conv }, efficiencyRow: true);
            }
            finally
            {
                torch.set_num_threads(_o.Threads);
            }
        }
    }

    /// <summary>
    /// GFLOP/s of one call of the reference convolution right now. Rows take it just before and just after themselves and
    /// divide by the mean, so the efficiency follows the machine's load through a long run.
    /// </summary>
    double? ProbeConvolution()
    {
        if (_probeConv is null || _probeInput is null) return null;
        using var mode = torch.inference_mode();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        using (var y = _probeConv.call(_probeInput)) { }
        var seconds = sw.Elapsed.TotalSeconds;
        double c = _o.ConvChannels, side = _o.ConvSide;
        return 2 * _o.Batch * side * side * c * c * 9 / 1e9 / seconds;
    }

    // ---- MAC walker against REFERENCE §10 --------------------------------------------------------------------------

    /// <summary>
    /// Our MAC walker against REFERENCE §10, from the 512 rows' own counts (batch B): U-Net = unet row / B; ControlNet with
    /// its hint encoder = (ControlNet row + hint encoder) / B, the hint encoder being the eager row minus the U-Net + ControlNet row.
    /// (libtorch has no meta kernel for convolution, so the counts come from the real warm-up calls.)
    /// </summary>
    MacCheck[] CheckMacs()
    {
        double? G(string id) => _rows.FirstOrDefault(r => r.Id == id)?.GigaMacs;
        var list = new List<MacCheck>();
        if (G("step.unet.512") is double u)
            list.Add(new MacCheck("SD 1.5 U-Net, 512 px, batch 1", u / _o.Batch, ReportedBaselines.UNetGigaMacs512));
        if (G("step.controlnet.512") is double c && G("step.eager.512") is double eager && G("step.unet+cn.512") is double both)
            list.Add(new MacCheck("SD 1.5 ControlNet incl. hint encoder, 512 px, batch 1", (c + eager - both) / _o.Batch, ReportedBaselines.ControlNetGigaMacs512));
        foreach (var m in list.Where(m => !m.Matches))
            _notes.Add($"MAC walker gives {m.CountedGigaMacs:0.0} G for {m.Network}, REFERENCE §10 says {m.ReferenceGigaMacs:0.0} G.");
        return list.ToArray();
    }

    /// <summary>MACs of one U-Net forward and one ControlNet forward with its hint encoder at a latent side and batch, on the modules' device.</summary>
    public static (MacCount UNet, MacCount ControlNetWithHint) CountForwards(UNetModule unet, ControlNetModule controlNet, int latentSide, int batch)
    {
        var a = unet.Architecture;
        var device = unet.parameters().First().device;
        using var mode = torch.inference_mode();
        using var x = randn(new long[] { batch, a.InChannels, latentSide, latentSide }, device: device);
        using var t = zeros(new long[] { batch }, dtype: ScalarType.Int64, device: device);
        using var ctx = randn(new long[] { batch, 77, a.ContextDim }, device: device);
        var hintSide = latentSide * a.HintDownsampling;
        using var hint = rand(new long[] { batch, a.HintChannels, hintSide, hintSide }, device: device);
        var u = MacCounter.Count(new[] { unet }, () => { using var y = unet.Forward(x, t, ctx); });
        var c = MacCounter.Count(new[] { controlNet }, () =>
        {
            foreach (var r in controlNet.ForwardWithHint(x, hint, t, ctx)) r.Dispose();
        });
        return (u, c);
    }

    // ---- models ----------------------------------------------------------------------------------------------------

    void MeasureModels()
    {
        bool any(params string[] groups) => groups.Any(_o.Includes);
        var needSteps = any(BenchGroups.UNet, BenchGroups.ControlNet, BenchGroups.UNetControlNet, BenchGroups.UNetTwoControlNets,
            BenchGroups.Eager, BenchGroups.Ablations, BenchGroups.Load, BenchGroups.Interleaved) || _o.Profile;
        // The 1-ControlNet pipeline's models stay resident together, so the U-Net + ControlNet rows' peak RSS is a generation's footprint.
        ClipTextEncoder? text = null;
        AutoencoderKL? vae = null;
        UNetModule? unet = null;
        ControlNetModule? cn = null;
        try
        {
            if (_o.Includes(BenchGroups.Text))
            {
                text = new ClipTextEncoder(ClipConfig());
                RandomWeights.Fill(text, _o.Seed + 10);
            }
            if (_o.Includes(BenchGroups.Vae))
            {
                vae = new AutoencoderKL(VaeConfig());
                RandomWeights.Fill(vae, _o.Seed + 11);
            }
            if (needSteps)
            {
                _log?.Report("building the U-Net and ControlNet with random weights");
                unet = ArchitectureCatalog.CreateUNet(_o.Architecture);
                RandomWeights.Fill(unet, _o.Seed + 1);
                cn = ArchitectureCatalog.CreateControlNet(_o.Architecture);
                RandomWeights.Fill(cn, _o.Seed + 2);
                if (_o.Includes(BenchGroups.Load)) MeasureLoad(unet, cn);
            }
            if (text is not null) MeasureText(text);
            if (vae is not null) MeasureVae(vae);
            if (unet is not null && cn is not null) MeasureSteps(unet, cn);
            // Last: it converts the resident models' weights to bf16 for good.
            if (unet is not null && cn is not null && _o.Includes(BenchGroups.Weights16)) MeasureWeights16(unet, cn, text, vae);
        }
        finally
        {
            text?.Dispose();
            vae?.Dispose();
            unet?.Dispose();
            cn?.Dispose();
        }
    }

    ClipTextConfig ClipConfig() => _o.Architecture == "toy" ? ClipTextConfig.Tiny : ClipTextConfig.StableDiffusion15;
    AutoencoderConfig VaeConfig() => _o.Architecture == "toy" ? AutoencoderConfig.Tiny : AutoencoderConfig.StableDiffusion;

    void MeasureLoad(nn.Module unet, nn.Module cn)
    {
        var folder = _o.TempFolder ?? Path.Combine(Path.GetTempPath(), $"controlnet-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            foreach (var (module, component, label) in new[] { (unet, ModelComponent.Unet, "U-Net"), (cn, ModelComponent.ControlNet, "ControlNet") })
            {
                var path = Path.Combine(folder, $"{component.ToString().ToLowerInvariant()}.safetensors");
                _log?.Report($"writing {path}");
                WeightsFile.Write(path, module.state_dict().Select(kv => (TensorRef)new InMemoryTensorRef(component.LdmPrefix() + kv.Key, kv.Value)));
                var bytes = new FileInfo(path).Length;
                void Call()
                {
                    using var checkpoint = CheckpointLoader.OpenFile(path);
                    checkpoint.LoadInto(module, component);       // strict load over the same (identical) weights
                }
                Row($"load.{component.ToString().ToLowerInvariant()}", BenchGroups.Load, $"load {label} ({bytes / 1e9:0.00} GB fp32 safetensors)", null,
                    "open + strict LoadInto", Call, Array.Empty<nn.Module>(), efficiencyRow: false,
                    note: "file just written by the bench: read from the page cache, not from disk");
            }
        }
        finally
        {
            if (_o.TempFolder is null) Directory.Delete(folder, recursive: true);
        }
    }

    void MeasureText(ClipTextEncoder text)
    {
        using var ids = randint(0, ClipConfig().VocabSize, new long[] { _o.Batch, 77 }, dtype: ScalarType.Int64, generator: new Generator((ulong)_o.Seed));
        void Call()
        {
            using var mode = torch.inference_mode();
            using var y = text.Encode(ids);                                                    // [B, 77, 768]
        }
        Row("text.encode", BenchGroups.Text, $"text encoding ({_o.Batch} × 77 tokens)", null, "inference", Call, new nn.Module[] { text });
    }

    void MeasureVae(AutoencoderKL vae)
    {
        var size = _o.Sizes.Max();
        var f = vae.DownscaleFactor;
        var g = new Generator((ulong)_o.Seed);
        using var latent = randn(new long[] { 1, vae.LatentChannels, size / f, size / f }, generator: g);   // [1, 4, 64, 64]
        using var image = rand(new long[] { 1, 3, size, size }, generator: g) * 2 - 1;                     // [1, 3, 512, 512]
        var roots = new nn.Module[] { vae };
        Row($"vae.decode.{size}", BenchGroups.Vae, "VAE decode", size, "inference", () =>
        {
            using var mode = torch.inference_mode();
            using var y = vae.Decode(latent);
        }, roots);
        Row($"vae.decode-tiled.{size}", BenchGroups.Vae, $"VAE decode, tiled ({_o.VaeTile}-latent-px tiles + context)", size, "inference", () =>
        {
            using var mode = torch.inference_mode();
            using var y = vae.DecodeTiled(latent, _o.VaeTile);
        }, roots);
        // The planned tiled decode (VaeTilePlan.Choose): equal tiles of ≤ 32 latent px and the longest context whose
        // overlap keeps the up path's MACs within 1.2× the whole decode's; per-tile GroupNorm statistics. The note gives
        // the plan and the max pixel difference from the whole decode, everywhere and away from the seams.
        int h = (int)latent.shape[2], w = (int)latent.shape[3];
        var plan = VaeTilePlan.Choose(VaeConfig(), h, w, maxTile: _o.VaeTile);
        var planned = Row($"vae.decode-tiled-planned.{size}", BenchGroups.Vae, $"VAE decode, tiled ({plan.TileSize}-latent-px tiles + {plan.Context} px context)", size, "inference", () =>
        {
            using var mode = torch.inference_mode();
            using var y = vae.DecodeTiled(latent, plan);
        }, roots);
        if (planned is not null)
        {
            using var mode = torch.inference_mode();
            using var whole = vae.Decode(latent);
            using var tiled = vae.DecodeTiled(latent, plan);
            int band = (VaeConfig().DecoderReceptiveRadius - plan.Context) * f;
            _rows[^1] = planned with
            {
                Note = $"plan: MAC ratio {plan.MacRatio:0.00} of the up path; max pixel difference from the whole decode {MaxPixelDifference(whole, tiled):0} / 255, " +
                $"{MaxPixelDifference(whole, tiled, plan.TileSize * f, band):0} / 255 farther than {band} px from the seams (random weights)"
            };
        }
        MeasureTaesd(latent, size, vae);
        Row($"vae.encode.{size}", BenchGroups.Vae, "VAE encode", size, "inference", () =>
        {
            using var mode = torch.inference_mode();
            using var y = vae.Encode(image, generator: null);
        }, roots);
    }

    /// <summary>Largest |Δ| between two images in [−1, 1] after clamping, in 8-bit levels (0–255).</summary>
    static double MaxPixelDifference(Tensor a, Tensor b) =>
        ((a.clamp(-1, 1) - b.clamp(-1, 1)).abs().max().item<float>()) * 127.5;

    /// <summary>As <see cref="MaxPixelDifference(Tensor, Tensor)"/>, over the pixels at least <paramref name="band"/> px from every
    /// border between tiles of <paramref name="tilePixels"/> (image edges are not seams).</summary>
    static double MaxPixelDifference(Tensor a, Tensor b, int tilePixels, int band)
    {
        using var scope = NewDisposeScope();
        Tensor Far(long n)
        {
            var i = torch.arange(n);
            var inTile = i % tilePixels;
            var first = i < tilePixels;                                       // no seam on its left (the image edge)
            var last = (i - inTile + tilePixels) >= n;                        // no seam on its right
            return (first | (inTile >= band)) & (last | (tilePixels - 1 - inTile >= band));
        }
        var away = Far(a.shape[2]).unsqueeze(1) & Far(a.shape[3]).unsqueeze(0);                      // [H, W]
        var diff = (a.clamp(-1, 1) - b.clamp(-1, 1)).abs().amax(new long[] { 0, 1 });                   // [H, W]
        return away.any().item<bool>() ? diff.masked_select(away).max().item<float>() * 127.5 : double.NaN;
    }

    /// <summary>TAESD decode (random weights in the public layout) at the same size, against the full VAE's time.</summary>
    void MeasureTaesd(Tensor latent, int size, AutoencoderKL vae)
    {
        if (latent.shape[1] != 4 || vae.DownscaleFactor != 8) return;        // TAESD is for SD's 4-channel, 8× latents
        using var taesd = new TinyAutoencoder();
        RandomWeights.Fill(taesd, _o.Seed + 12);
        var row = Row($"vae.taesd-decode.{size}", BenchGroups.Vae, "TAESD decode (tiny autoencoder)", size, "inference", () =>
        {
            using var mode = torch.inference_mode();
            using var y = taesd.Decode(latent);
        }, new nn.Module[] { taesd });
        if (row is null) return;
        using var m = torch.inference_mode();
        using var full = vae.Decode(latent);
        using var tiny = taesd.Decode(latent);
        _rows[^1] = row with { Note = $"max pixel difference from the VAE decode {MaxPixelDifference(full, tiny):0} / 255 — both have random weights here, so this only shows the comparison runs; with the real files TAESD is a close approximation" };
    }

    /// <summary>
    /// U-Net + 1 ControlNet at the largest size with bf16 weight storage and fp32 compute (<see cref="WeightStorage"/>), the
    /// text encoder and VAE stored likewise, so the row's peak RSS is a 16-bit generation's footprint; the note gives the
    /// step output's max error against fp32.
    /// </summary>
    void MeasureWeights16(UNetModule unetModule, ControlNetModule cnModule, ClipTextEncoder? text, AutoencoderKL? vae)
    {
        var size = _o.Sizes.Max();
        var latent = size / _arch.HintDownsampling;
        using var inputs = new StepInputs(_arch, _o.Batch, latent, _o.Seed + size);
        var features = StepRunner.EncodeHints(new IControlNet[] { cnModule }, inputs.Hint);
        try
        {
            Tensor Eps()
            {
                using var mode = torch.inference_mode();
                using var scope = NewDisposeScope();
                var residuals = ((IControlNet)cnModule).Forward(inputs.X, features[0], inputs.Timesteps, inputs.Context);
                return ((IUNet)unetModule).Forward(inputs.X, inputs.Timesteps, inputs.Context, residuals).MoveToOuterDisposeScope();   // [B, 4, h, w]
            }
            using var reference = Eps();
            foreach (var m in new nn.Module?[] { unetModule, cnModule, text, vae })
                if (m is not null) WeightStorage.Apply(m, ScalarType.BFloat16);
            using var stored = Eps();
            double err = (stored - reference).abs().max().item<float>(), scale = reference.abs().max().item<float>();
            StepRow($"step.unet+cn.bf16.{size}", BenchGroups.Weights16, "U-Net + 1 ControlNet, bf16 weight storage", size, _o.Execution,
                unetModule, new IControlNet[] { cnModule }, inputs, features, unetModule, cnModule);
            if (_rows.Count > 0 && _rows[^1].Id == $"step.unet+cn.bf16.{size}")
                _rows[^1] = _rows[^1] with { Note = $"fp32 compute; step output max |Δ| vs fp32 weights {err:G3} ({err / scale:P2} of max |ε| {scale:G3})" };
        }
        finally
        {
            foreach (var t in features) t.Dispose();
        }
    }

    void MeasureSteps(UNetModule unetModule, ControlNetModule cnModule)
    {
        IUNet unet = unetModule;
        IControlNet cn = cnModule;
        var e = _o.Execution;
        foreach (var size in _o.Sizes)
        {
            var latent = size / _arch.HintDownsampling;
            using var inputs = new StepInputs(_arch, _o.Batch, latent, _o.Seed + size);
            var features = StepRunner.EncodeHints(new[] { cn }, inputs.Hint);
            try
            {
                if (_o.Includes(BenchGroups.UNet))
                    StepRow($"step.unet.{size}", BenchGroups.UNet, "U-Net alone", size, e, unet, Array.Empty<IControlNet>(), inputs, features, unetModule);
                if (_o.Includes(BenchGroups.ControlNet))
                    StepRow($"step.controlnet.{size}", BenchGroups.ControlNet, "ControlNet alone", size, e, null, new[] { cn }, inputs, features, cnModule);
                if (_o.Includes(BenchGroups.UNetControlNet))
                    StepRow($"step.unet+cn.{size}", BenchGroups.UNetControlNet, "U-Net + 1 ControlNet", size, e, unet, new[] { cn }, inputs, features, unetModule, cnModule);
                if (_o.Includes(BenchGroups.Eager))
                    StepRow($"step.eager.{size}", BenchGroups.Eager, "U-Net + 1 ControlNet, plain eager port", size, ExecutionOptions.PlainEager, unet, new[] { cn }, inputs, features, unetModule, cnModule);
                if (_o.Includes(BenchGroups.Threads) && size == _o.Sizes.Min() && _o.Threads > 1)
                    WithThreads(1, () => StepRow($"step.unet+cn.1thread.{size}", BenchGroups.Threads, "U-Net + 1 ControlNet, 1 thread", size, e, unet, new[] { cn }, inputs, features, unetModule, cnModule));
                if (_o.Includes(BenchGroups.Ablations) && size == _o.Sizes.Min())
                    foreach (var (label, variant) in Ablations(e))
                        StepRow($"ablation.{label}.{size}", BenchGroups.Ablations, $"U-Net + 1 ControlNet, {label}", size, variant, unet, new[] { cn }, inputs, features, unetModule, cnModule);
                if (_o.Includes(BenchGroups.Interleaved))
                    InterleavedRows(size, e, unet, cn, inputs, features, unetModule, cnModule);
                if (_o.Profile)
                    ProfileStep($"profile.unet+cn.{size}", "U-Net + 1 ControlNet", size, e, unet, new[] { cn }, inputs, features, ("unet", unetModule), ("controlnet", cnModule));
            }
            finally
            {
                foreach (var t in features) t.Dispose();
            }
        }
        if (_o.Includes(BenchGroups.UNetTwoControlNets))
        {
            // A second ControlNet only for these rows, so the other rows' peak RSS is the one-ControlNet footprint.
            using var cn2Module = ArchitectureCatalog.CreateControlNet(_o.Architecture);
            RandomWeights.Fill(cn2Module, _o.Seed + 3);
            var cns = new[] { cn, cn2Module };
            foreach (var size in _o.Sizes)
            {
                using var inputs = new StepInputs(_arch, _o.Batch, size / _arch.HintDownsampling, _o.Seed + size);
                var features = StepRunner.EncodeHints(cns, inputs.Hint);
                try
                {
                    StepRow($"step.unet+2cn.{size}", BenchGroups.UNetTwoControlNets, "U-Net + 2 ControlNets", size, e, unet, cns, inputs, features, unetModule, cnModule, cn2Module);
                }
                finally
                {
                    foreach (var t in features) t.Dispose();
                }
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> with <paramref name="threads"/> torch threads, then restores the run's count.</summary>
    void WithThreads(int threads, Action action)
    {
        torch.set_num_threads(threads);
        try
        {
            action();
        }
        finally
        {
            torch.set_num_threads(_o.Threads);
        }
    }

    /// <summary>The optimised settings with one switch flipped at a time.</summary>
    static IEnumerable<(string Label, ExecutionOptions Options)> Ablations(ExecutionOptions e)
    {
        foreach (var g in Enum.GetValues<GradMode>().Where(g => g != e.Grad))
            yield return (g.ToString().ToLowerInvariant(), e with { Grad = g });
        yield return (e.Attention == AttentionKernel.Sdpa ? "explicit-attention" : "sdpa", e with { Attention = e.Attention == AttentionKernel.Sdpa ? AttentionKernel.Explicit : AttentionKernel.Sdpa });
        yield return (e.ChannelsLast ? "nchw" : "channels-last", e with { ChannelsLast = !e.ChannelsLast });
        yield return (e.Convolution == ConvolutionKernel.Direct ? "auto-conv" : "direct-conv",
            e with { Convolution = e.Convolution == ConvolutionKernel.Direct ? ConvolutionKernel.Auto : ConvolutionKernel.Direct });
        yield return (e.HintEveryStep ? "hint-once" : "hint-every-step", e with { HintEveryStep = !e.HintEveryStep });
    }

    void StepRow(string id, string group, string name, int size, ExecutionOptions e, IUNet? unet, IReadOnlyList<IControlNet> cns,
        StepInputs inputs, IReadOnlyList<Tensor> features, params nn.Module[] modules)
    {
        foreach (var m in modules)
            if (e.ChannelsLast) StepRunner.SetChannelsLast(m, true);
        try
        {
            using var kernel = AttentionKernelScope.Use(e.Attention);   // this row's attention and convolution kernels, for its calls only
            using var convolution = ConvolutionKernelScope.Use(e.Convolution);
            Row(id, group, name, size, e.Label, () => StepRunner.Step(unet, cns, inputs, features, e), modules,
                note: $"batch {_o.Batch} (CFG), latent {size / _arch.HintDownsampling}");
        }
        finally
        {
            foreach (var m in modules)
                if (e.ChannelsLast) StepRunner.SetChannelsLast(m, false);
        }
    }

    /// <summary>
    /// The optimised step and each kernel variant (libtorch's convolution everywhere, explicit attention) timed alternately,
    /// run by run (A B B A …), so a machine whose load drifts slows both alike: the row note gives the median of the per-round
    /// ratios variant ÷ optimised, the figure to read on a shared machine. The optimised row is the first of the group.
    /// </summary>
    void InterleavedRows(int size, ExecutionOptions e, IUNet unet, IControlNet cn, StepInputs inputs, IReadOnlyList<Tensor> features,
        params nn.Module[] modules)
    {
        var variants = new List<(string Label, ExecutionOptions Options)>
        {
            ("optimised", e),
            ("direct-conv", e with { Convolution = ConvolutionKernel.Direct }),
            ("explicit-attention", e with { Attention = AttentionKernel.Explicit }),
        };
        void Call(ExecutionOptions v)
        {
            using var kernel = AttentionKernelScope.Use(v.Attention);
            using var convolution = ConvolutionKernelScope.Use(v.Convolution);
            StepRunner.Step(unet, new[] { cn }, inputs, features, v);
        }
        _log?.Report($"interleaved rows at {size}: {string.Join(", ", variants.Select(v => v.Label))}, {_o.Runs} rounds");
        var probeBefore = ProbeConvolution();
        var macs = MacCounter.Count(modules, () => Call(e));
        foreach (var (_, v) in variants) Call(v);                                          // warm-up of each
        var seconds = variants.Select(_ => new List<double>()).ToArray();
        var load = ProcessStats.LoadAverage()[0];
        for (var round = 0; round < _o.Runs; round++)
        {
            var order = Enumerable.Range(0, variants.Count);
            foreach (var i in round % 2 == 0 ? order : order.Reverse())
            {
                _ct.ThrowIfCancellationRequested();
                var sw = Stopwatch.StartNew();
                Call(variants[i].Options);
                seconds[i].Add(sw.Elapsed.TotalSeconds);
            }
        }
        var probeAfter = ProbeConvolution();
        double? reference = probeBefore is double b && probeAfter is double a ? 0.5 * (b + a) : null;
        for (var i = 0; i < variants.Count; i++)
        {
            var time = new TimingStats(seconds[i], 1);
            var gflops = 2 * macs.GigaMacs / time.Median;
            var ratios = new TimingStats(seconds[i].Zip(seconds[0], (x, y) => x / y).ToArray(), 0);
            var note = i == 0 ? $"interleaved with the rows below, {_o.Runs} rounds; load {load:0.0} → {ProcessStats.LoadAverage()[0]:0.0}"
                : $"÷ optimised, same round: median {ratios.Median:0.000} (min {ratios.Min:0.000}, max {ratios.Max:0.000})";
            _rows.Add(new Measurement($"interleaved.{variants[i].Label}.{size}", BenchGroups.Interleaved, $"U-Net + 1 ControlNet, interleaved: {variants[i].Label}",
                size, variants[i].Options.Label, time, macs.GigaMacs, gflops, reference is > 0 ? gflops / reference : null, ProcessStats.PeakRssBytes(),
                note, reference, ProcessStats.LoadAverage()[0], torch.get_num_threads()));
        }
        if (_o.PartialJson is not null) Snapshot(Array.Empty<MacCheck>()).WriteJson(_o.PartialJson);
    }

    /// <summary>
    /// One step timed module by module (<see cref="ModuleProfiler"/>), after one plain warm-up step and one plain timed
    /// step (so the hooks' overhead shows as the difference).
    /// </summary>
    void ProfileStep(string id, string name, int size, ExecutionOptions e, IUNet? unet, IReadOnlyList<IControlNet> cns,
        StepInputs inputs, IReadOnlyList<Tensor> features, params (string Prefix, nn.Module Root)[] roots)
    {
        using var kernel = AttentionKernelScope.Use(e.Attention);
        using var convolution = ConvolutionKernelScope.Use(e.Convolution);
        _log?.Report($"{name}, {size}: profiling one step");
        StepRunner.Step(unet, cns, inputs, features, e);                                      // warm-up
        var plain = Stopwatch.StartNew();
        StepRunner.Step(unet, cns, inputs, features, e);
        plain.Stop();
        var (seconds, unhooked, byType, byBlock) = ModuleProfiler.Profile(roots, () => StepRunner.Step(unet, cns, inputs, features, e));
        _profiles.Add(new StepProfile(id, name, size, seconds, plain.Elapsed.TotalSeconds, unhooked, byType, byBlock));
        if (_o.PartialJson is not null) Snapshot(Array.Empty<MacCheck>()).WriteJson(_o.PartialJson);
    }

    // ---- training --------------------------------------------------------------------------------------------------

    void MeasureTraining()
    {
        var latent = _o.TrainLatent;
        foreach (var full in new[] { false, true })
        {
            using var unetModule = ArchitectureCatalog.CreateUNet(_o.Architecture);
            RandomWeights.Fill(unetModule, _o.Seed + 1);
            using var cnModule = full ? null : ArchitectureCatalog.CreateControlNet(_o.Architecture);
            if (cnModule is not null) RandomWeights.Fill(cnModule, _o.Seed + 2);
            nn.Module trained = full ? unetModule : cnModule!;
            var trainedParameters = trained.parameters().Sum(p => p.numel());
            // trained weights + gradients + AdamW's two moments, plus the locked U-Net's weights, all fp32
            var lockedParameters = full ? 0 : unetModule.parameters().Sum(p => p.numel());
            var need = trainedParameters * 4L * 4 + lockedParameters * 4L;
            var available = ProcessStats.AvailableMemoryBytes();
            var id = full ? "train.full" : "train.controlnet";
            var name = full ? "training step, full fine-tune (U-Net, no ControlNet)" : "training step, ControlNet only (U-Net locked)";
            if (available >= 0 && available < need * 1.5)
            {
                _notes.Add($"Skipped '{name}': it needs about {need / 1e9:0.0} GB for weights, gradients and AdamW moments (× 1.5 margin; the measured peak is higher still); only {available / 1e9:0.0} GB were available.");
                continue;
            }
            foreach (var p in unetModule.parameters()) p.requires_grad_(full);
            IUNet unet = unetModule;
            IControlNet? cn = cnModule;
            using var optimizer = torch.optim.AdamW(trained.parameters(), lr: 1e-5);
            using var inputs = new StepInputs(_arch, 1, latent, _o.Seed + 7);
            using var noise = randn_like(inputs.X);
            void Call()
            {
                using var scope = NewDisposeScope();
                using var grad = torch.enable_grad();
                var residuals = cn?.ForwardWithHint(inputs.X, inputs.Hint, inputs.Timesteps, inputs.Context);
                var eps = unet.Forward(inputs.X, inputs.Timesteps, inputs.Context, residuals);             // [1, 4, h, w]
                var loss = nn.functional.mse_loss(eps, noise);
                loss.backward();
                optimizer.step();
                optimizer.zero_grad();
            }
            var roots = cnModule is null ? new nn.Module[] { unetModule } : new nn.Module[] { unetModule, cnModule };
            Row($"{id}.{latent * _arch.HintDownsampling}", BenchGroups.Train, name, latent * _arch.HintDownsampling,
                $"AdamW, fp32, batch 1, latent {latent}, {trainedParameters / 1e6:0.0} M trained parameters", Call, roots, efficiencyRow: false,
                note: "MACs column = forward only (backward is about 2× more)");
        }
    }

    // ---- time to an image: 20 steps Euler a vs LCM-LoRA ---------------------------------------------------------------

    /// <summary>
    /// Whole generations at the largest size with one ControlNet, text encoding and VAE decode included: 20 steps Euler a
    /// (CFG 7) against LCM with an LCM-LoRA of the real shape (rank 64 on every linear and convolution weight of the U-Net's
    /// blocks, random values; merged and unmerged inside each generation) at 4 and 8 steps, guidance 1 (one pass per step).
    /// </summary>
    void MeasureFewStep()
    {
        if (_o.Architecture != "sd15")
        {
            _notes.Add("The fewstep group runs on sd15 only (it needs CLIP ViT-L/14's vocabulary).");
            return;
        }
        var size = _o.Sizes.Max();
        var folder = _o.TempFolder ?? Path.Combine(Path.GetTempPath(), $"controlnet-bench-lora-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        _log?.Report("building SD 1.5, a ControlNet and an LCM-LoRA-shaped LoRA with random weights");
        var unet = ArchitectureCatalog.CreateUNet(_o.Architecture);
        RandomWeights.Fill(unet, _o.Seed + 1);
        var cn = ArchitectureCatalog.CreateControlNet(_o.Architecture);
        RandomWeights.Fill(cn, _o.Seed + 2);
        var text = new ClipTextEncoder(ClipConfig());
        RandomWeights.Fill(text, _o.Seed + 10);
        var vae = new AutoencoderKL(VaeConfig());
        RandomWeights.Fill(vae, _o.Seed + 11);
        try
        {
            var loraPath = Path.Combine(folder, "lcm-lora-shaped.safetensors");
            WriteLcmShapedLora(unet, loraPath, rank: 64);
            using var pipeline = new ControlNet.Pipelines.ControlNetPipeline(
                new ControlNet.Pipelines.DiffusionModel(_o.Architecture, (IUNet)unet, text, ClipTokenizer.Bundled(), vae),
                new Dictionary<string, ControlNet.Pipelines.PipelineControlNet> { ["cn"] = new((IControlNet)cn) });
            var condition = ControlNet.Abstractions.ConditionImage.Rgb(size, size, new byte[size * size * 3]);
            var baseSettings = new ControlNet.Pipelines.GenerationSettings
            {
                Prompt = "a photo of a house", Width = size, Height = size, Seed = _o.Seed,
                Controls = [new ControlNet.Pipelines.ControlSettings { ControlNet = "cn", Condition = condition }],
            };
            var runs = new (string Id, string Name, ControlNet.Pipelines.GenerationSettings Settings)[]
            {
                ($"fewstep.euler_a.20.{size}", "image: 20 steps Euler a, CFG 7", baseSettings with { Sampler = "euler_a", Steps = 20, GuidanceScale = 7 }),
                ($"fewstep.lcm.4.{size}", "image: LCM-LoRA, 4 steps LCM, CFG 1", baseSettings with { Sampler = "lcm", Steps = 4, GuidanceScale = 1, Loras = [new(loraPath)] }),
                ($"fewstep.lcm.8.{size}", "image: LCM-LoRA, 8 steps LCM, CFG 1", baseSettings with { Sampler = "lcm", Steps = 8, GuidanceScale = 1, Loras = [new(loraPath)] }),
            };
            foreach (var (id, name, settings) in runs)
                Row(id, BenchGroups.FewStep, name, size, "text encoding + sampling + VAE decode, 1 ControlNet", () => pipeline.Generate(settings),
                    Array.Empty<nn.Module>(), efficiencyRow: false);
        }
        finally
        {
            if (_o.TempFolder is null) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A kohya LoRA with LCM-LoRA's shape: rank <paramref name="rank"/> on every 2-D/4-D weight of the U-Net's blocks.</summary>
    static void WriteLcmShapedLora(nn.Module unet, string path, int rank)
    {
        var g = new Generator(7);
        var tensors = new List<TensorRef>();
        foreach (var (name, p) in unet.named_parameters())
        {
            if (!name.EndsWith(".weight", StringComparison.Ordinal) || p.dim() is not (2 or 4)) continue;
            if (!(name.StartsWith("input_blocks.", StringComparison.Ordinal) || name.StartsWith("middle_block.", StringComparison.Ordinal) || name.StartsWith("output_blocks.", StringComparison.Ordinal))) continue;
            if (name.StartsWith("input_blocks.0.", StringComparison.Ordinal)) continue;
            var key = "lora_unet_" + name[..^".weight".Length].Replace('.', '_');
            long inFeatures = p.shape[1], outFeatures = p.shape[0];
            var downShape = p.dim() == 4 ? new[] { rank, inFeatures, p.shape[2], p.shape[3] } : new[] { rank, inFeatures };
            var upShape = p.dim() == 4 ? new[] { outFeatures, rank, 1L, 1L } : new[] { outFeatures, (long)rank };
            tensors.Add(new InMemoryTensorRef(key + ".lora_down.weight", (randn(downShape, generator: g) * 1e-3).to_type(ScalarType.Float16)));
            tensors.Add(new InMemoryTensorRef(key + ".lora_up.weight", (randn(upShape, generator: g) * 1e-3).to_type(ScalarType.Float16)));
            tensors.Add(new InMemoryTensorRef(key + ".alpha", tensor((float)rank)));
        }
        WeightsFile.Write(path, tensors);
        foreach (var t in tensors) (t as IDisposable)?.Dispose();
    }

    // ---- one row ---------------------------------------------------------------------------------------------------

    /// <summary>Measures one row; a failure (e.g. out of memory) becomes a note and the run goes on with the next row.</summary>
    /// <param name="once">one timed call and no warm-up (a call that loads and frees its own models)</param>
    Measurement? Row(string id, string group, string name, int? size, string configuration, Action call, IReadOnlyList<nn.Module> macRoots,
        bool efficiencyRow = true, string? note = null, bool probeReference = false, bool once = false)
    {
        _ct.ThrowIfCancellationRequested();
        _log?.Report($"{id}: {name}{(size is null ? "" : $" at {size}")} [{configuration}]");
        try
        {
            // probeReference: rows without MACs (whole preprocessors) still get the same-run convolution figure beside them.
            var probeBefore = (efficiencyRow && macRoots.Count > 0) || probeReference ? ProbeConvolution() : null;
            ProcessStats.TrimHeap();
            ProcessStats.ResetPeak();
            _rowStartRss = ProcessStats.CurrentRssBytes();
            // The first warm-up call also counts the MACs of exactly what is timed.
            var macs = macRoots.Count > 0 ? MacCounter.Count(macRoots, call) : null;
            if (macs is null && !once) call();
            var time = once ? Timing.Measure(call, 0, 1, _ct) with { Warmup = 0 } : Timing.Measure(call, _o.Warmup - 1, _o.Runs, _ct) with { Warmup = _o.Warmup };
            double? gmac = macs is null || macs.Total == 0 ? null : macs.GigaMacs;
            double? gflops = gmac is null ? null : 2 * gmac.Value / time.Median;
            var peak = ProcessStats.PeakRssBytes();
            var probeAfter = probeBefore is null ? null : ProbeConvolution();
            double? reference = probeBefore is double b && probeAfter is double a ? 0.5 * (b + a) : null;
            double? efficiency = gflops is not null && reference is > 0 ? gflops / reference : null;
            var row = new Measurement(id, group, name, size, configuration, time, gmac, gflops, efficiency, peak, note, reference,
                ProcessStats.LoadAverage()[0], torch.get_num_threads());
            _rows.Add(row);
            if (_o.PartialJson is not null) Snapshot(Array.Empty<MacCheck>()).WriteJson(_o.PartialJson);
            _log?.Report($"  median {time.Median:0.000} s (min {time.Min:0.000}, max {time.Max:0.000})" +
                         (gflops is null ? "" : $", {gflops:0.0} GFLOP/s") + (efficiency is null ? "" : $", efficiency {efficiency:P0}"));
            return row;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _notes.Add($"Row {id} failed: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            _log?.Report($"  failed: {e.Message.Split('\n')[0]}");
            return null;
        }
    }
}
