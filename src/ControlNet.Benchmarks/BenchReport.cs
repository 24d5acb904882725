using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlNet.Benchmarks;

/// <summary>One measured row.</summary>
/// <param name="Id">stable key, e.g. <c>step.unet+cn.512</c>, used by targets and JSON consumers</param>
/// <param name="Group">the <see cref="BenchGroups"/> entry that produced it</param>
/// <param name="Size">image side in pixels, when the row has one</param>
/// <param name="Configuration">the <see cref="ExecutionOptions.Label"/> or another short description</param>
/// <param name="GigaMacs">multiply-accumulates of one call, counted by <see cref="MacCounter"/> on the first warm-up</param>
/// <param name="GflopPerSecond">2 × MACs ÷ median seconds</param>
/// <param name="Efficiency">GflopPerSecond ÷ <paramref name="ReferenceGflopPerSecond"/></param>
/// <param name="PeakRssBytes">VmHWM after the row, reset to the current RSS before it (so it includes the models loaded then)</param>
/// <param name="ReferenceGflopPerSecond">the reference 3×3 convolution's GFLOP/s, mean of one call just before and one just after the row</param>
/// <param name="LoadAverage">the 1-minute load average when the row ended (other work on the machine, and --background-load, show up here)</param>
/// <param name="Threads">torch intra-op threads the row ran with</param>
internal sealed record Measurement(
    string Id, string Group, string Name, int? Size, string Configuration, TimingStats Time,
    double? GigaMacs, double? GflopPerSecond, double? Efficiency, long PeakRssBytes, string? Note = null, double? ReferenceGflopPerSecond = null,
    double? LoadAverage = null, int? Threads = null);

/// <summary>One neural estimator beside the original annotator code, same weights, same input, same run.</summary>
/// <param name="OursPeakBeyondWeightsBytes">peak RSS during our row − RSS just before it − the weight file's size (target: at most 2 GB)</param>
/// <param name="Ratio">our median ÷ the original's median (target: at most 1.2)</param>
/// <param name="ReferenceNote">why there is no reference figure ("reference not given", "reference not run: …")</param>
internal sealed record AnnotatorComparison(string Estimator, string WeightFile, int Size, long WeightBytes, double OursMedianSeconds,
    double? ReferenceConvGflopPerSecond, long OursPeakRssBytes, long OursPeakBeyondWeightsBytes, double? OriginalMedianSeconds,
    long? OriginalPeakRssBytes, double? Ratio, string? ReferenceNote)
{
    public const double RatioTarget = 1.2;
    public const long BeyondWeightsTargetBytes = 2_000_000_000;
}

/// <summary>A figure reported elsewhere (not measured by this run), shown beside ours and labelled as such.</summary>
internal sealed record ReportedBaseline(string Name, string Figure, double? SecondsPerStep512, string Source);

/// <summary>A target of the issue and whether this run met it (null when the row was not measured).</summary>
internal sealed record TargetResult(string Name, string Goal, string Measured, bool? Met);

/// <summary>Our MAC walker against REFERENCE §10, at 512 px, batch 1.</summary>
internal sealed record MacCheck(string Network, double CountedGigaMacs, double ReferenceGigaMacs)
{
    public bool Matches => Math.Abs(CountedGigaMacs - ReferenceGigaMacs) <= 0.1;
}

/// <param name="CpuFlags">the vector-math ISA flags of /proc/cpuinfo (avx2, avx512f, avx512_bf16, amx_bf16, …)</param>
/// <param name="Threading">the OpenMP settings in effect (<see cref="Runtime.ThreadingSettings.Describe"/>)</param>
/// <param name="BackgroundLoadThreads">busy threads the bench ran beside itself (--background-load)</param>
internal sealed record MachineInfo(string Cpu, int LogicalCores, int TorchThreads, string Os, string Runtime, string TorchSharp, long AvailableMemoryBytesAtStart,
    string CpuFlags = "", int InteropThreads = 0, string Threading = "", int BackgroundLoadThreads = 0);

/// <summary>Everything one <c>controlnet bench</c> run measured, serialisable to JSON.</summary>
internal sealed record BenchReport(
    DateTimeOffset Started,
    TimeSpan Duration,
    MachineInfo Machine,
    string Architecture,
    IReadOnlyList<int> Sizes,
    int Warmup,
    int Runs,
    int Batch,
    string OptimisedConfiguration,
    string EagerConfiguration,
    double[] LoadAverageStart,
    double[] LoadAverageEnd,
    double? ConvReferenceGflopPerSecond,
    IReadOnlyList<MacCheck> MacChecks,
    IReadOnlyList<Measurement> Measurements,
    IReadOnlyList<ReportedBaseline> Baselines,
    IReadOnlyList<TargetResult> Targets,
    long PeakRssBytes,
    IReadOnlyList<string> Notes,
    IReadOnlyList<AnnotatorComparison>? Annotators = null,
    IReadOnlyList<StepProfile>? Profiles = null)
{
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static BenchReport FromJson(string json) =>
        JsonSerializer.Deserialize<BenchReport>(json, JsonOptions) ?? throw new InvalidDataException("The benchmark JSON is empty.");

    /// <summary>Writes the JSON atomically (temp file in the same folder, then move).</summary>
    public void WriteJson(string path)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(tmp, ToJson());
        File.Move(tmp, full, overwrite: true);
    }

    public Measurement? Find(string id) => Measurements.FirstOrDefault(m => m.Id == id);
}
