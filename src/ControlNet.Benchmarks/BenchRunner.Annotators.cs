using ControlNet.Abstractions;
using ControlNet.Annotators;
using ControlNet.Benchmarks.Annotators;
using TorchSharp;

namespace ControlNet.Benchmarks;

/// <summary>
/// <c>--only annotators</c>: each neural estimator run as <c>controlnet preprocess</c> runs it (the plug-in's preprocessor,
/// weights read from a folder in the public layout), beside the original PyTorch annotator code on the same random weights.
/// </summary>
internal sealed partial class BenchRunner
{
    void MeasureAnnotators()
    {
        if (_o.Preprocessors is null)
        {
            _notes.Add("annotators: no plug-in catalog was given, so no estimator was timed.");
            return;
        }
        var folder = Path.Combine(_o.TempFolder ?? Path.GetTempPath(), $"controlnet-bench-annotators-{Environment.ProcessId}");
        var weights = Directory.CreateDirectory(Path.Combine(folder, "weights")).FullName;
        try
        {
            var size = _o.AnnotatorSize;
            var rgb = new byte[size * size * 3];
            new Random((int)_o.Seed).NextBytes(rgb);                // the same input for ours and the original
            var image = ConditionImage.Rgb(size, size, rgb);
            var npy = Path.Combine(folder, "input.npy");
            NpyWriter.WriteUInt8(npy, rgb, size, size, 3);
            string? driver = null;
            if (_o.ReferenceAnnotators is not null)
            {
                driver = Path.Combine(folder, "reference_driver.py");
                File.WriteAllText(driver, ReferenceRun.DriverSource());
            }
            var models = new AnnotatorFiles(new AnnotatorFileOptions { Folder = weights });
            var options = new Dictionary<string, string> { ["detect-resolution"] = $"{size}" };
            foreach (var c in AnnotatorCase.All.Where(c => _o.Estimators.Count == 0 || _o.Estimators.Contains(c.PreprocessorId)))
            {
                _ct.ThrowIfCancellationRequested();
                var preprocessor = _o.Preprocessors(c.PreprocessorId);
                if (preprocessor is null)
                {
                    _notes.Add($"annotators: no preprocessor '{c.PreprocessorId}' in the plug-in catalog; row skipped.");
                    continue;
                }
                if (!c.Files.All(f => WriteRandomWeights(preprocessor, c.PreprocessorId, f, Path.Combine(weights, f.Name)))) continue;
                var weightBytes = c.Files.Sum(f => new FileInfo(Path.Combine(weights, f.Name)).Length);
                var source = PreprocessorSource.From(image) with { Models = models };
                var ours = Row($"annotator.{c.PreprocessorId}.{size}", BenchGroups.Annotators, $"{c.PreprocessorId} (ours, {c.WeightFile})", size,
                    "preprocess: load weights + resize + detect", () => preprocessor.Run(source, options, _ct), Array.Empty<torch.nn.Module>(),
                    efficiencyRow: false, probeReference: true);
                if (ours is null) continue;
                var beyond = ours.PeakRssBytes - _rowStartRss - weightBytes;   // what the row added beyond its weights
                ReferenceRun? reference = null;
                string? referenceNote = _o.ReferenceAnnotators is null ? "reference not given (--reference-annotators)" : null;
                if (driver is not null)
                {
                    _log?.Report($"annotator.{c.PreprocessorId}: original code under {_o.Python}");
                    reference = ReferenceRun.Run(_o.Python, driver, c.PreprocessorId, _o.ReferenceAnnotators!, weights, npy, size, _o.Warmup, _o.Runs, _o.Threads, _ct);
                    if (reference.Error is not null || reference.Seconds.Count == 0)
                    {
                        referenceNote = $"reference not run: {reference.Error ?? "no timed runs"}";
                        reference = null;
                    }
                    else
                    {
                        var time = new TimingStats(reference.Seconds, _o.Warmup);
                        _rows.Add(new Measurement($"annotator.{c.PreprocessorId}.reference.{size}", BenchGroups.Annotators,
                            $"{c.PreprocessorId} (original v1.1 code, torch {reference.Torch})", size, "detector init + resize_image + detect", time,
                            null, null, null, reference.PeakRssBytes, reference.Shims is { Count: > 0 } s ? "shim: " + string.Join("; ", s) : null,
                            null, ProcessStats.LoadAverage()[0], _o.Threads));
                        _log?.Report($"  median {time.Median:0.000} s");
                    }
                }
                double? ratio = reference is null ? null : ours.Time.Median / new TimingStats(reference.Seconds, _o.Warmup).Median;
                _annotators.Add(new AnnotatorComparison(c.PreprocessorId, c.WeightFile, size, weightBytes, ours.Time.Median, ours.ReferenceGflopPerSecond,
                    ours.PeakRssBytes, beyond, reference is null ? null : new TimingStats(reference.Seconds, _o.Warmup).Median,
                    reference?.PeakRssBytes, ratio, referenceNote));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Random weights (seeded) in the public file's layout, from the network class in the preprocessor's own assembly.</summary>
    bool WriteRandomWeights(IPreprocessor preprocessor, string preprocessorId, AnnotatorWeightFile file, string path)
    {
        var net = CreateNetwork(preprocessor.GetType().Assembly.GetType(file.NetworkType), file.Factory);
        if (net is null)
        {
            _notes.Add($"annotators: {file.NetworkType}{(file.Factory is null ? "" : "." + file.Factory + "()")} not found beside preprocessor '{preprocessorId}'; row skipped.");
            return false;
        }
        using (net)
        {
            torch.manual_seed(_o.Seed + 100);
            RandomWeights.Fill(net, _o.Seed + 100);
            AnnotatorWeightWriter.Save(net, path, file.KeyPrefix.Length > 0 ? k => file.KeyPrefix + k : null, file.UnderStateDict);
        }
        return true;
    }

    /// <summary>
    /// The network built by its public static factory (e.g. <c>CpmKeypointNetwork.Hand()</c>) or, without one, by the
    /// constructor with only optional parameters (e.g. <c>LineartGenerator(residualBlocks = 3)</c>) called with its defaults.
    /// </summary>
    static torch.nn.Module? CreateNetwork(Type? type, string? factory)
    {
        if (type is null) return null;
        if (factory is not null)
            return type.GetMethod(factory, System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static, Type.EmptyTypes)?.Invoke(null, null) as torch.nn.Module;
        var ctor = type.GetConstructors().FirstOrDefault(k => k.GetParameters().All(p => p.IsOptional));
        return ctor?.Invoke(ctor.GetParameters().Select(_ => Type.Missing).ToArray()) as torch.nn.Module;
    }
}
