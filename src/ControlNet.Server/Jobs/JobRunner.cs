using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ControlNet.Abstractions;
using ControlNet.Hosting;
using ControlNet.Hosting.Generation;
using ControlNet.Hosting.Imaging;
using ControlNet.Hosting.Plugins;
using ControlNet.Hosting.Runs;
using ControlNet.Pipelines;
using ControlNet.Sampling;
using ControlNet.Server.A1111;
using ControlNet.Server.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ControlNet.Server.Jobs;

/// <summary>
/// Turns a <see cref="JobSpec"/> into images with the host's <see cref="IGenerationService"/>: <see cref="Plan"/>
/// validates and preprocesses (the API calls it before accepting a job, so bad input is a 422, not a failed job),
/// <see cref="RunAsync"/> generates each batch and encodes the PNGs. The same code runs in the server process and in
/// <c>controlnet worker</c>.
/// </summary>
public sealed class JobRunner(IServiceProvider services, PluginCatalog catalog, ModelRegistry models, ServerOptions server, IOptions<ControlNetOptions> host)
{
    // Resolved on the first run, not in Plan: an API process that only queues jobs for Redis workers never loads the weights.
    IGenerationService Generation => services.GetRequiredService<IGenerationService>();

    /// <summary>PNG text key holding the job (images left out) that produced the file.</summary>
    public const string JobKey = "controlnet:job";

    public ModelRegistry Models => models;
    public PluginCatalog Catalog => catalog;

    /// <summary>Checks every field (errors name the field as written in the server's own API) and preprocesses the controls.</summary>
    public JobPlan Plan(JobSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = new List<FieldError>();
        var d = host.Value.Defaults;
        int width = spec.Width ?? d.Width, height = spec.Height ?? d.Height;
        if (ImageSize.Problem(width, ImageSize.HostMultiple) is { } widthProblem) errors.Add(new("width", widthProblem));
        if (ImageSize.Problem(height, ImageSize.HostMultiple) is { } heightProblem) errors.Add(new("height", heightProblem));
        if ((long)width * height > server.MaxPixels) errors.Add(new("width", $"{width}×{height} is more than the server's cap of {server.MaxPixels:N0} pixels."));
        if (spec.Steps is { } steps && (steps < 1 || steps > server.MaxSteps)) errors.Add(new("steps", $"is {steps}; expected 1–{server.MaxSteps}."));
        if (spec.Sampler is { } sampler && !SamplerFactory.Names.Contains(sampler)) errors.Add(new("sampler", $"is '{sampler}'; expected one of {string.Join(", ", SamplerFactory.Names)}."));
        if (spec.Cfg is { } cfg && (cfg < 0 || double.IsNaN(cfg))) errors.Add(new("cfg", $"is {cfg}; expected 0 or more."));
        if (spec.Batch < 1) errors.Add(new("batch", $"is {spec.Batch}; expected 1 or more."));
        if (spec.Iterations < 1) errors.Add(new("iterations", $"is {spec.Iterations}; expected 1 or more."));
        if ((long)spec.Batch * spec.Iterations > server.MaxImages)
            errors.Add(new("batch", $"{spec.Batch} × {spec.Iterations} iterations is more than the server's cap of {server.MaxImages} images per request."));
        if (spec.Strength is { } s && s is < 0 or > 1) errors.Add(new("strength", $"is {s}; expected 0–1."));
        if (spec.Mask is not null && spec.InitImage is null) errors.Add(new("mask", "needs initImage: the mask marks what to repaint in that image."));
        if (errors.Count > 0) throw new RequestValidationException(errors);

        var init = spec.InitImage is null ? null : JobImages.Decode(spec.InitImage, "initImage", PreprocessorInput.RgbImage, server.MaxPixels);
        var mask = spec.Mask is null ? null : JobImages.Decode(spec.Mask, "mask", PreprocessorInput.StoredImage, server.MaxPixels);
        var maps = new List<ConditionImage>();
        var used = new List<RegisteredControlNet>();
        for (int i = 0; i < spec.Controls.Count; i++)
        {
            var c = spec.Controls[i];
            string at = $"controls[{i}]";
            var model = models.Find(c.Model) ?? throw new RequestValidationException($"{at}.model", models.NotFound(c.Model));
            var map = Preprocess(c.Preprocessor ?? DefaultPreprocessor(model), c.Image, c.Mask, c.Options, at, cancellationToken,
                c.PixelPerfect ? (width, height, c.Resize) : null);
            try { ControlWeights.Validate(new ControlSettings(model.Name, map, c)); }
            catch (ArgumentException e)
            {
                string field = !double.IsFinite(c.Strength) || c.Strength < 0 ? "strength" : !(c.Start >= 0 && c.Start < c.End && c.End <= 1) ? "start" : "mode";
                throw new RequestValidationException($"{at}.{field}", e.Message);
            }
            if (c.Strength < 0) throw new RequestValidationException($"{at}.strength", $"is {c.Strength}; expected 0 or more (1 is full strength).");
            maps.Add(map);
            used.Add(model);
        }
        // From here on the job is a run, and the library's path (the CLI's) makes the request and, later, the PNGs.
        var run = ToRun(spec, width, height, used);
        var request = GenerationRunner.ToRequest(run, new RunInputs
        {
            InitImage = init,
            Mask = mask,
            Controls = maps.Select(PreprocessorSource.From).ToArray(),
            Preprocessed = true,
        }, keys: used.Select(m => m.Name).ToArray());
        // The host's own checks on what the pipeline will get (the fields above were checked with their names already).
        var settingsErrors = new List<string>();
        ControlNetOptionsValidator.ValidateDefaults(request.Over(host.Value.Defaults), settingsErrors, prefix: "");
        if (settingsErrors.Count > 0) throw new RequestValidationException("request", string.Join(" ", settingsErrors));
        return new JobPlan(spec, run, request, spec.Iterations, maps, used);
    }

    /// <summary>
    /// The job as a run of the library (<see cref="GenerationRun"/>): the server's defaults filled in, the registered
    /// models' files and condition types, the preprocessor each map was made with. Images stay in the job: the run names none.
    /// </summary>
    GenerationRun ToRun(JobSpec spec, int width, int height, IReadOnlyList<RegisteredControlNet> used)
    {
        var d = host.Value.Defaults;
        return new GenerationRun
        {
            Model = models.BaseModel,
            Prompt = spec.Prompt,
            Negative = spec.Negative,
            Width = width,
            Height = height,
            Steps = spec.Steps ?? d.Steps,
            Sampler = spec.Sampler ?? d.Sampler,
            Cfg = spec.Cfg ?? d.GuidanceScale,
            Seed = spec.Seed,
            Batch = spec.Batch,
            Eta = spec.Eta,
            InitImage = spec.InitImage is null ? null : "",
            Strength = spec.Strength ?? d.DenoisingStrength,
            Mask = spec.Mask is null ? null : "",
            Out = "",
            Controls = spec.Controls.Select((c, i) => new RunControl(used[i].Type, c)
            {
                Model = used[i].Model,
                Preprocessor = c.Preprocessor ?? DefaultPreprocessor(used[i]),
            }).ToArray(),
        };
    }

    string DefaultPreprocessor(RegisteredControlNet model)
    {
        var plugin = catalog.Plugins.FirstOrDefault(p => string.Equals(p.Plugin.Id, model.Type, StringComparison.OrdinalIgnoreCase))?.Plugin;
        return plugin?.Preprocessors.FirstOrDefault()?.Id ?? ControlParameters.NoPreprocessor;
    }

    /// <summary>
    /// Runs preprocessor <paramref name="preprocessor"/> ("none" passes the image through) on a base64 input, with an
    /// optional mask; errors name <paramref name="at"/>. With <paramref name="pixelPerfect"/> (the output size and resize
    /// mode), the detect resolution follows from the image (<see cref="PixelPerfectOptions"/>, the library's rule). Used
    /// by jobs and by the detect endpoints.
    /// </summary>
    public ConditionImage Preprocess(string preprocessor, string image, string? mask, IReadOnlyDictionary<string, string>? options, string at,
        CancellationToken cancellationToken = default, (int Width, int Height, ResizeMode Resize)? pixelPerfect = null)
    {
        if (string.IsNullOrWhiteSpace(image)) throw new RequestValidationException($"{at}.image", "is missing; send the input image as base64.");
        if (preprocessor == ControlParameters.NoPreprocessor)
        {
            var map = JobImages.Decode(image, $"{at}.image", PreprocessorInput.RgbImage, server.MaxPixels);
            return mask is null ? map : map.WithMask(JobImages.Mask(mask, $"{at}.mask", map, server.MaxPixels));
        }
        IPreprocessor pre;
        try { pre = catalog.FindPreprocessor(preprocessor).Preprocessor; }
        catch (KeyNotFoundException)
        {
            var known = catalog.Plugins.SelectMany(p => p.Plugin.Preprocessors).Select(p => p.Id).Append(ControlParameters.NoPreprocessor);
            throw new RequestValidationException($"{at}.preprocessor", $"'{preprocessor}' is not available here. Available: {string.Join(", ", known)}.");
        }
        PreprocessorSource source;
        if (pre.Input == PreprocessorInput.File) source = PreprocessorSources.FromFile(JobImages.Bytes(image, $"{at}.image"), "upload");
        else
        {
            var decoded = JobImages.Decode(image, $"{at}.image", pre.Input, server.MaxPixels);
            if (mask is not null) decoded = decoded.WithMask(JobImages.Mask(mask, $"{at}.mask", decoded, server.MaxPixels));
            source = PreprocessorSource.From(decoded);
        }
        source = source with { Models = host.Value.Annotators() };   // neural preprocessors: --annotator-path, the hub cache
        if (pixelPerfect is { } target)
        {
            var withResolution = new Dictionary<string, string>(options ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
            PixelPerfectOptions.Apply(pre, source.Image, withResolution, target.Width, target.Height, target.Resize);
            options = withResolution;
        }
        // The guard names a plug-in that fails in an undocumented way (a 500 that says whose fault it is).
        try { return PreprocessorGuard.Run(pre, source, options ?? new Dictionary<string, string>(), cancellationToken); }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or JsonException)
        {
            throw new RequestValidationException($"{at}.options", $"preprocessor '{pre.Id}': {e.Message}");
        }
    }

    /// <summary>The shortest time between two live previews of a job (A1111's live preview refresh is of that order).</summary>
    public static readonly TimeSpan PreviewInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Generates every batch of the job, reporting progress (with a preview PNG at most every <see cref="PreviewInterval"/>). Cancelling
    /// <paramref name="cancellationToken"/> abandons the job; <paramref name="interrupted"/> turning true is A1111's
    /// interrupt: sampling ends after the current step, the image so far is decoded and returned, later batches are skipped.
    /// </summary>
    public async Task<JobOutput> RunAsync(JobSpec spec, string worker, IProgress<JobProgress>? progress, CancellationToken cancellationToken, Func<bool>? interrupted = null)
    {
        var plan = Plan(spec, cancellationToken);
        var clock = Stopwatch.StartNew();
        var images = new List<JobImage>();
        var seeds = new List<long>();
        var infotexts = new List<string>();
        GenerationSettings? first = null;
        bool stopped = false;
        for (int iteration = 0; iteration < plan.Iterations && !stopped; iteration++)
        {
            var settings = Generation.Resolve(plan.Request with { Seed = spec.Seed + (long)iteration * spec.Batch }, cancellationToken) with
            {
                // The x̂0 preview (TAESD with --preview) at most every 200 ms: the pipeline decodes none that would be dropped.
                PreviewEvery = progress is null ? 0 : 1,
                PreviewMinInterval = PreviewInterval,
                // The library's step callback ends sampling and decodes the current latent (diffusers callback_on_step_end).
                OnStepEnd = interrupted is null ? null : step => { if (interrupted()) step.Stop = stopped = true; },
            };
            first ??= settings;
            int done = iteration;
            var report = progress is null ? null : new SyncProgress<GenerationProgress>(p =>
            {
                byte[]? preview = p.Preview is { } image ? ImageFile.EncodePng(image) : null;
                progress.Report(new JobProgress(done * p.TotalSteps + p.Step, p.TotalSteps * plan.Iterations, preview));
            });
            var result = await Generation.GenerateAsync(settings, report, cancellationToken).ConfigureAwait(false);
            // The library's PNGs (the run and A1111's infotext in their metadata, as the CLI writes them), plus the job.
            foreach (var image in GenerationRunner.EncodeImages(plan.Run with { Seed = settings.Seed }, result))
            {
                infotexts.Add(image.Metadata[RunMetadata.ParametersKey]);
                seeds.Add(image.Seed);
                var job = JsonSerializer.Serialize(WithoutImages(spec) with { Seed = image.Seed, Batch = 1, Iterations = 1 }, ServerJson.Options);
                images.Add(new JobImage("image", PngMetadata.Add(image.Png, new Dictionary<string, string> { [JobKey] = job })));
            }
        }
        for (int i = 0; i < plan.Maps.Count; i++)
            if (spec.Controls[i].ReturnMap) images.Add(new JobImage("map", ImageFile.EncodePng(MapForDisplay(plan.Maps[i]))));
        return new JobOutput
        {
            Images = images,
            Seeds = seeds,
            Prompt = first!.Prompt,
            Negative = first.NegativePrompt,
            Width = first.Width,
            Height = first.Height,
            Steps = first.Steps,
            Sampler = first.Sampler,
            Cfg = first.GuidanceScale,
            Batch = first.BatchSize,
            ElapsedSeconds = clock.Elapsed.TotalSeconds,
            Infotexts = infotexts,
            Worker = worker,
            Interrupted = stopped,
        };
    }

    /// <summary>A condition map as a viewable PNG: 8-bit, the masked pixels (carried as −1 in the control) left transparent.</summary>
    public static ConditionImage MapForDisplay(ConditionImage map) => map.Depth == SampleDepth.Eight ? map : map.ToRgb8();

    static JobSpec WithoutImages(JobSpec spec) => spec with
    {
        InitImage = spec.InitImage is null ? null : "(omitted)",
        Mask = spec.Mask is null ? null : "(omitted)",
        Controls = spec.Controls.Select(c => c with { Image = "(omitted)", Mask = c.Mask is null ? null : "(omitted)" }).ToArray(),
    };
}
