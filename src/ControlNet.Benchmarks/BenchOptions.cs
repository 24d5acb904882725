namespace ControlNet.Benchmarks;

/// <summary>The groups of measurements <c>controlnet bench --only</c> can select.</summary>
internal static class BenchGroups
{
    public const string Conv = "conv";            // the 3×3 convolution reference (always measured: efficiency needs it)
    public const string UNet = "unet";
    public const string ControlNet = "controlnet";
    public const string UNetControlNet = "unet+cn";
    public const string UNetTwoControlNets = "unet+2cn";
    public const string Eager = "eager";          // plain eager port of U-Net + ControlNet
    public const string Ablations = "ablations";  // one switch of ExecutionOptions changed at a time
    public const string Text = "text";
    public const string Vae = "vae";
    public const string Load = "load";
    public const string Train = "train";
    public const string Weights16 = "weights16";  // U-Net + ControlNet with bf16 weight storage, fp32 compute (last: converts the models)
    public const string Threads = "threads";      // the same work at 1 thread beside the N-thread rows (threading defaults)
    public const string FewStep = "fewstep";      // time to a 512 image: 20 steps Euler a vs LCM-LoRA 4 and 8 (opt-in: --only fewstep)
    public const string Annotators = "annotators"; // neural estimators beside the original annotator code (opt-in: --only annotators)
    public const string Memory = "memory";        // peak RSS of a generation loaded from files, fp32/bf16 × keep/release (opt-in: --only memory)
    public const string Interleaved = "interleaved"; // the optimised step alternated with one-switch variants, run by run (opt-in: --only interleaved)

    public static IReadOnlyList<string> All { get; } =
        new[] { Conv, UNet, ControlNet, UNetControlNet, UNetTwoControlNets, Eager, Ablations, Text, Vae, Load, Train, Weights16, Threads, FewStep, Annotators, Memory, Interleaved };
}

/// <summary>What <see cref="BenchRunner"/> measures and how carefully.</summary>
internal sealed record BenchOptions
{
    /// <summary>Image sides in pixels; the latent side is size ÷ the architecture's hint downsampling (8 for SD).</summary>
    public IReadOnlyList<int> Sizes { get; init; } = new[] { 512, 256 };

    /// <summary>Architecture from <see cref="Models.ArchitectureCatalog"/>: sd15 (the benchmark) or toy (smoke tests).</summary>
    public string Architecture { get; init; } = "sd15";

    /// <summary>Groups to run (<see cref="BenchGroups"/>); empty = all.</summary>
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>();

    /// <summary>Untimed calls before timing; the first one also counts the MACs. At least 1.</summary>
    public int Warmup { get; init; } = 1;

    public int Runs { get; init; } = 3;

    /// <summary>torch.set_num_threads for the whole run (the issue's machine has 2 cores).</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Busy threads run beside the bench for the whole run (<see cref="BackgroundLoad"/>), to measure a loaded machine.</summary>
    public int BackgroundLoad { get; init; }

    /// <summary>CFG batch: conditional and unconditional in one forward.</summary>
    public int Batch { get; init; } = 2;

    /// <summary>Channels (in = out) of the reference 3×3 convolution on [Batch, C, 64, 64].</summary>
    public int ConvChannels { get; init; } = 640;

    public int ConvSide { get; init; } = 64;

    /// <summary>Latent side of the training step (batch 1).</summary>
    public int TrainLatent { get; init; } = 32;

    /// <summary>
    /// Also profile one U-Net + 1 ControlNet step per size (<see cref="ModuleProfiler"/>): per-module self times by class
    /// and inclusive times per block, in the report's <c>profiles</c>. Builds the step models even when no step group runs.
    /// </summary>
    public bool Profile { get; init; }

    /// <summary>Tile size (latent pixels) of the tiled VAE decode row.</summary>
    public int VaeTile { get; init; } = 32;

    /// <summary>Folder for the safetensors files written to time model loading; default: a new folder under the system temp.</summary>
    public string? TempFolder { get; init; }

    /// <summary>The optimised settings measured in the main rows; <see cref="ExecutionOptions.PlainEager"/> is the baseline row.</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Optimised;

    public long Seed { get; init; }

    /// <summary>When set, the report so far is rewritten here after every row, so a long run that is interrupted still leaves its figures.</summary>
    public string? PartialJson { get; init; }

    /// <summary>Image side the annotator rows run at (detect resolution and input size). Default 512.</summary>
    public int AnnotatorSize { get; init; } = 512;

    /// <summary>Finds the preprocessor <c>controlnet preprocess ID</c> runs (the host's plug-in catalog); null = annotators not measured.</summary>
    public Func<string, Abstractions.IPreprocessor?>? Preprocessors { get; init; }

    /// <summary>A folder holding the original <c>annotator/</c> package (ControlNet v1.1); null = ours only.</summary>
    public string? ReferenceAnnotators { get; init; }

    /// <summary>The estimators (preprocessor ids) the annotator rows time; empty = all of them.</summary>
    public IReadOnlySet<string> Estimators { get; init; } = new HashSet<string>();

    /// <summary>
    /// Set in the child process of one memory row ("fp32:release"): run only that row, on the model files already in
    /// <see cref="TempFolder"/>, and report its peaks. The memory group starts one child per row, so every row's peak is a
    /// fresh process's, as a <c>controlnet generate</c> run's is (what one row frees badly cannot inflate the next).
    /// </summary>
    public string? MemoryRow { get; init; }

    /// <summary>The Python with torch that runs the original annotator code.</summary>
    public string Python { get; init; } = "/usr/bin/python3";

    public bool Includes(string group) => group is BenchGroups.FewStep or BenchGroups.Annotators or BenchGroups.Memory or BenchGroups.Interleaved ? Only.Contains(group) : Only.Count == 0 || Only.Contains(group);

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad value and the fix.</summary>
    public BenchOptions Validate()
    {
        Models.ArchitectureCatalog.Get(Architecture);
        if (Sizes.Count == 0) throw new ArgumentException("Give at least one size, e.g. --sizes 512,256.", nameof(Sizes));
        foreach (var s in Sizes)
            if (s <= 0 || s % 64 != 0)
                throw new ArgumentException($"Size {s} is not a positive multiple of 64; use e.g. 512 or 256.", nameof(Sizes));
        foreach (var g in Only)
            if (!BenchGroups.All.Contains(g))
                throw new ArgumentException($"Unknown benchmark group '{g}'; use any of: {string.Join(", ", BenchGroups.All)}.", nameof(Only));
        if (Warmup < 1) throw new ArgumentException($"Warm-up runs must be at least 1 (the first one counts the MACs); got {Warmup}.", nameof(Warmup));
        if (Runs < 1) throw new ArgumentException($"Runs must be at least 1; got {Runs}.", nameof(Runs));
        if (Threads < 1) throw new ArgumentException($"Threads must be at least 1; got {Threads}.", nameof(Threads));
        if (BackgroundLoad < 0) throw new ArgumentException($"Background load must be 0 or more busy threads; got {BackgroundLoad}.", nameof(BackgroundLoad));
        if (AnnotatorSize < 64 || AnnotatorSize % 64 != 0)
            throw new ArgumentException($"Annotator size {AnnotatorSize} is not a multiple of 64 of at least 64; use e.g. 512.", nameof(AnnotatorSize));
        if (ReferenceAnnotators is not null && !Directory.Exists(Path.Combine(ReferenceAnnotators, "annotator")))
            throw new ArgumentException($"'{ReferenceAnnotators}' holds no annotator/ folder; give the folder that contains ControlNet v1.1's annotator/ package.", nameof(ReferenceAnnotators));
        if (ReferenceAnnotators is not null && !File.Exists(Python))
            throw new ArgumentException($"Python '{Python}' does not exist; give one with torch via --python (Debian: /usr/bin/python3 with python3-torch).", nameof(Python));
        if (Estimators.FirstOrDefault(e => !Annotators.AnnotatorCase.All.Any(c => c.PreprocessorId == e)) is { } unknown)
            throw new ArgumentException($"Estimator '{unknown}' is not one the bench times; use some of: {string.Join(", ", Annotators.AnnotatorCase.All.Select(c => c.PreprocessorId))}.", nameof(Estimators));
        if (Batch < 1) throw new ArgumentException($"Batch must be at least 1; got {Batch}.", nameof(Batch));
        if (ConvChannels < 1 || ConvSide < 1 || TrainLatent < 8 || VaeTile < 1)
            throw new ArgumentException("ConvChannels, ConvSide and VaeTile must be positive and TrainLatent at least 8.");
        return this;
    }

    /// <summary>Development setting: latent 32 (256 px) only, 2 runs.</summary>
    public static BenchOptions Quick { get; } = new() { Sizes = new[] { 256 }, Runs = 2 };
}
