using ControlNet.Abstractions;
using ControlNet.Hosting.Generation;
using ControlNet.Hosting.Imaging;
using ControlNet.Hosting.Plugins;
using ControlNet.Pipelines;
using Microsoft.Extensions.DependencyInjection;

namespace ControlNet.Hosting.Runs;

/// <summary>
/// Runs a <see cref="GenerationRun"/> end to end, the one path the CLI, the app template, a server and a user's code
/// share: resolve the run (model-folder defaults, the default ControlNet of each control, a concrete seed, absolute
/// paths), host the models (<see cref="ServiceCollectionExtensions.AddControlNet"/>; kept loaded while the next run
/// names the same models), open the inputs the way each preprocessor reads them, generate, and write each image as a
/// PNG carrying the run (<see cref="RunMetadata"/>).
/// Bad input is an <see cref="ArgumentException"/> whose message names the field and the fix; a missing file an
/// <see cref="IOException"/>. Not thread-safe: one run at a time (a host serialises on <see cref="IGenerationService"/>).
/// </summary>
public sealed class GenerationRunner(PluginCatalog catalog, Action<IServiceCollection>? configureServices = null) : IAsyncDisposable
{
    ServiceProvider? _host;
    string? _hostModels;

    /// <summary>The plug-ins controls are resolved against.</summary>
    public PluginCatalog Catalog { get; } = catalog ?? throw new ArgumentNullException(nameof(catalog));

    /// <summary>
    /// The run as it will be done: local paths absolute against <paramref name="baseFolder"/> (default: the working
    /// folder), width/height/cfg from the model folder (<see cref="DefaultModel.FolderDefaults"/>) else 512/512/9, a
    /// seed of -1 replaced by a random one, and every control's model filled in. Checks what can be checked without
    /// loading anything. Resolving a resolved run changes nothing.
    /// </summary>
    public GenerationRun Resolve(GenerationRun run, string? baseFolder = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        run = run.WithAbsolutePaths(baseFolder ?? Directory.GetCurrentDirectory());
        var (size, cfg) = DefaultModel.FolderDefaults(run.Model ?? DefaultModel.Path);
        run = run with { Width = run.Width ?? size ?? 512, Height = run.Height ?? size ?? 512, Cfg = run.Cfg ?? cfg ?? 9.0 };

        if (!string.Equals(Path.GetExtension(run.Out), ".png", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Output '{run.Out}' must be a .png file (the run is stored in its metadata); pass e.g. --out image.png.");
        if (run.Batch < 1) throw new ArgumentException($"batch is {run.Batch}; expected 1 or more.");
        if (run.Mask is not null && run.InitImage is null)
            throw new ArgumentException("mask needs init-image: the mask marks what to repaint in that image.");
        if (run.Seed < 0) run = run with { Seed = Random.Shared.NextInt64(0, uint.MaxValue) };
        return run with { Controls = run.Controls.Select(c => c with { Model = c.Model ?? DefaultControlModel(run.Model, c.Type) }).ToArray() };
    }

    /// <summary>
    /// The ControlNet for a control of <paramref name="type"/> that names none: the one the base-model folder's
    /// controlnet-model.json lists for the type (the toy model), else the plug-in's first paired checkpoint with a
    /// Hugging Face id, else its first.
    /// </summary>
    public string DefaultControlModel(string? baseModel, string type)
    {
        if (DefaultModel.ControlNetInside(baseModel ?? DefaultModel.Path, type) is { } inside) return inside;
        var plugin = Plugin(type);
        var paired = plugin.Checkpoints.FirstOrDefault(p => p.Name.Contains('/')) ?? plugin.Checkpoints.FirstOrDefault();
        return paired?.Name ?? throw new ArgumentException($"Plug-in '{type}' names no paired ControlNet checkpoint; pass one with --control {type}:IMAGE:model=FILE_OR_ID (run file: \"model\").");
    }

    /// <summary>One pipeline key per distinct (type, model): the type itself, then type-2, type-3 … for other models of that type.</summary>
    public static string[] ControlKeys(IReadOnlyList<RunControl> controls)
    {
        ArgumentNullException.ThrowIfNull(controls);
        var byModel = new Dictionary<(string, string), string>();
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        return controls.Select(c =>
        {
            var id = (c.Type.ToLowerInvariant(), c.Model ?? "");
            if (byModel.TryGetValue(id, out var key)) return key;
            key = c.Type;
            for (int n = 2; used.Contains(key); n++) key = $"{c.Type}-{n}";
            used.Add(key);
            return byModel[id] = key;
        }).ToArray();
    }

    /// <summary>
    /// The generation service hosting the run's models: the one already loaded when the previous run named the same
    /// base model, ControlNets, tokenizer, device and dtype, else a new one (the weights load in this call).
    /// </summary>
    public IGenerationService Host(GenerationRun resolved) => HostProvider(resolved).GetRequiredService<IGenerationService>();

    // The DI host for the run's models, validated (bad options fail here, before any weights load).
    ServiceProvider HostProvider(GenerationRun resolved)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        if (resolved.Model is null && !DefaultModel.IsInstalled) throw new DirectoryNotFoundException(DefaultModel.MissingMessage);
        var keys = ControlKeys(resolved.Controls);
        var registrations = keys.Zip(resolved.Controls).DistinctBy(k => k.First).ToArray();
        var models = string.Join("\n", new[] { resolved.Model ?? "", resolved.Tokenizer ?? "", resolved.Device, resolved.Dtype, resolved.WeightsDtype, resolved.MemoryPolicy, resolved.Vae ?? "", resolved.Preview ?? "", resolved.ClipVision ?? "" }
            .Concat(registrations.Select(r => $"{r.First}={r.Second.Type}:{r.Second.Model}")));
        var memoryPolicy = MemoryPolicies.Parse(resolved.MemoryPolicy);   // a bad value fails here, before any weights load
        if (_host is null || _hostModels != models)
        {
            _host?.Dispose();
            _host = null;
            var services = new ServiceCollection();
            services.AddSingleton(Catalog);   // already loaded for the defaults; TryAdd in AddControlNet keeps it
            configureServices?.Invoke(services);
            var builder = services.AddControlNet(o =>
            {
                o.BaseModel = resolved.Model ?? DefaultModel.Path;
                o.Tokenizer = resolved.Tokenizer;
                o.Device = resolved.Device;
                o.DType = resolved.Dtype;
                o.WeightsDType = resolved.WeightsDtype;
                o.MemoryPolicy = memoryPolicy;
                o.Vae = resolved.Vae;
                o.Preview = resolved.Preview;
                o.ClipVision = resolved.ClipVision;
            });
            foreach (var (key, control) in registrations)
                builder.AddControl(key, control.Model ?? throw new ArgumentException($"Control '{key}' has no model; resolve the run first."), c => c with { Plugin = control.Type });
            var host = services.BuildServiceProvider();
            try { host.ValidateControlNet(); }
            catch { host.Dispose(); throw; }
            (_host, _hostModels) = (host, models);
        }
        return _host;
    }

    /// <summary>The service request of a resolved run: prompt and settings, and each control's input opened from its file.</summary>
    public GenerationRequest ToRequest(GenerationRun resolved) => ToRequest(resolved, OpenInputs(resolved));

    /// <summary>The inputs a resolved run names, opened: init image (RGB), mask (as stored), each control's file the way its preprocessor reads it.</summary>
    public RunInputs OpenInputs(GenerationRun resolved)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        return new RunInputs
        {
            InitImage = resolved.InitImage is { } init ? ImageFile.LoadRgb(Existing(init, "init-image")) : null,
            Mask = resolved.Mask is { } mask ? ImageFile.LoadStored(Existing(mask, "mask")) : null,
            Controls = resolved.Controls.Select(OpenSource).ToArray(),
        };
    }

    /// <summary>
    /// The service request of a complete run whose inputs are in memory: the one place a run becomes a request, for the
    /// CLI's files and a server's uploads alike. <paramref name="keys"/> are the registered ControlNet of each control
    /// (default: <see cref="ControlKeys"/>, the keys <see cref="Host"/> registers).
    /// </summary>
    public static GenerationRequest ToRequest(GenerationRun run, RunInputs inputs, IReadOnlyList<string>? keys = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(inputs);
        keys ??= ControlKeys(run.Controls);
        if (inputs.Controls.Count != run.Controls.Count || keys.Count != run.Controls.Count)
            throw new ArgumentException($"The run has {run.Controls.Count} control(s) but {inputs.Controls.Count} input(s) and {keys.Count} key(s); give one of each per control.");
        return new GenerationRequest
        {
            Prompt = run.Prompt,
            NegativePrompt = run.Negative,
            Width = run.Width,
            Height = run.Height,
            Steps = run.Steps,
            Sampler = run.Sampler,
            GuidanceScale = run.Cfg,
            Seed = run.Seed,
            BatchSize = run.Batch,
            Eta = run.Eta,
            InitImage = inputs.InitImage,
            DenoisingStrength = run.Strength,
            Mask = inputs.Mask,
            Loras = run.Lora.Select(ControlNet.Adapters.LoraReference.Parse).ToArray(),
            LoraFolders = run.LoraDir is { } loraDir ? [loraDir] : [],
            EmbeddingFolders = run.EmbeddingsDir is { } embeddingsDir ? [embeddingsDir] : [],
            PreviewEvery = run.PreviewOut is null ? 0 : Math.Max(1, run.PreviewEvery),   // --preview-out alone: every step
            Controls = run.Controls.Select((c, i) => new ControlInput
            {
                Control = keys[i],
                Source = inputs.Controls[i],
                Settings = inputs.Preprocessed ? c with { Preprocessor = ControlParameters.NoPreprocessor } : c,
            }).ToArray(),
        };
    }

    /// <summary>Resolves, hosts, generates and writes the PNGs: the whole of <c>controlnet generate</c>.</summary>
    public async Task<GenerationRunResult> RunAsync(GenerationRun run, IProgress<RunProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var resolved = Resolve(run);
        var host = HostProvider(resolved);
        var request = ToRequest(resolved);
        progress?.Report(new RunProgress(RunStage.Loading));
        // Resolving the service loads the weights: off the caller's thread, so a progress display keeps drawing.
        var service = await Task.Run(host.GetRequiredService<IGenerationService>, cancellationToken).ConfigureAwait(false);
        progress?.Report(new RunProgress(RunStage.Sampling));
        var steps = progress is null && resolved.PreviewOut is null ? null : new InlineProgress<GenerationProgress>(p =>
        {
            if (p.Preview is { } preview && resolved.PreviewOut is { } previewOut)
                AtomicFile.WriteAllBytes(previewOut, ImageFile.EncodePng(preview));   // the image in progress, for a viewer that reloads it
            progress?.Report(new RunProgress(RunStage.Sampling, p));
        });
        var result = await service.GenerateAsync(request, steps, cancellationToken).ConfigureAwait(false);
        progress?.Report(new RunProgress(RunStage.Writing));
        return new GenerationRunResult(resolved, WriteImages(resolved, result), result);
    }

    /// <summary>Writes each image to <see cref="GenerationRun.Out"/> (NAME-i.png for a batch) atomically, with <see cref="RunMetadata"/>.</summary>
    public static IReadOnlyList<string> WriteImages(GenerationRun resolved, GenerationResult result)
    {
        var images = EncodeImages(resolved, result);
        var files = new string[images.Count];
        for (int i = 0; i < files.Length; i++)
        {
            files[i] = files.Length == 1 ? resolved.Out
                : Path.Combine(Path.GetDirectoryName(resolved.Out)!, $"{Path.GetFileNameWithoutExtension(resolved.Out)}-{i}.png");
            AtomicFile.WriteAllBytes(files[i], images[i].Png);
        }
        return files;
    }

    /// <summary>Each generated image as a PNG carrying <see cref="RunMetadata"/> (the run, the image's seed and index, A1111's infotext), in memory.</summary>
    public static IReadOnlyList<RunImage> EncodeImages(GenerationRun run, GenerationResult result)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(result);
        return result.Images.Select((image, i) =>
        {
            long seed = i < result.Seeds.Count ? result.Seeds[i] : run.Seed;
            var metadata = RunMetadata.For(run, i, seed);
            return new RunImage(PngMetadata.Add(ImageFile.EncodePng(image), metadata), seed, metadata);
        }).ToArray();
    }

    // Opens the control's file the way its preprocessor reads it (image as RGB or as stored, or raw bytes).
    PreprocessorSource OpenSource(RunControl c)
    {
        var path = Existing(c.Image, $"control {c.Type}");
        var plugin = Plugin(c.Type);
        if (c.Preprocessor == ControlParameters.NoPreprocessor)
        {
            bool stored = plugin.FindPreprocessor(null)?.Input == PreprocessorInput.StoredImage;   // keeps an inpaint mask
            return PreprocessorSource.From(stored ? ImageFile.LoadStored(path).ToRgb8() : ImageFile.LoadRgb(path));
        }
        var pre = plugin.GetPreprocessor(c.Preprocessor, $"control {c.Type}");
        return PreprocessorSources.Open(path, pre.Input);
    }

    IConditionPlugin Plugin(string type)
    {
        try { return Catalog.Get(type); }
        catch (KeyNotFoundException e) { throw new ArgumentException($"control {type}: {e.Message} Pass a plug-in id from 'controlnet plugins list', or the plug-in folder where it is installed (--plugins DIR)."); }
    }

    static string Existing(string path, string what) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{what}: '{path}' does not exist. Check the path.", path);

    public ValueTask DisposeAsync()
    {
        var host = _host;
        _host = null;
        return host?.DisposeAsync() ?? ValueTask.CompletedTask;
    }

    /// <summary>Reports on the caller's thread, in order (System.Progress posts to the thread pool, which can reorder steps).</summary>
    sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
