using ControlNet.Abstractions;
using ControlNet.Annotators;
using ControlNet.Hosting.Plugins;
using ControlNet.Pipelines;
using Microsoft.Extensions.Options;

namespace ControlNet.Hosting.Generation;

/// <summary>
/// The default <see cref="IGenerationService"/>: a one-slot gate in front of the shared pipeline. Waiters on a
/// <see cref="SemaphoreSlim"/> are released first-in first-out, which makes the gate a queue; a cancelled waiter
/// leaves it without running.
/// </summary>
public sealed class GenerationService(IControlNetPipeline pipeline, PluginCatalog catalog, IOptions<ControlNetOptions> options)
    : IGenerationService, IDisposable
{
    readonly SemaphoreSlim _gate = new(1, 1);
    readonly ControlNetOptions _options = options.Value;
    // The host's defaults over the model folder's own (the toy model's 32 px and guidance 3).
    readonly GenerationSettings _defaults = DefaultModel.WithFolderDefaults(options.Value.Defaults, options.Value.BaseModel);

    public GenerationSettings Resolve(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = request.Over(_defaults);
        settings = settings with { Controls = request.Controls.Select(c => ResolveControl(c, settings.Width, settings.Height, cancellationToken)).ToArray() };
        var errors = new List<string>();
        ControlNetOptionsValidator.ValidateDefaults(settings, errors, prefix: "Request ");
        foreach (var c in settings.Controls) ControlNetOptionsValidator.ValidateSchedule($"Control '{c.ControlNet}'", c.Strength, c.Start, c.End, errors);
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors));
        return settings;
    }

    ControlSettings ResolveControl(ControlInput input, int width, int height, CancellationToken cancellationToken)
    {
        var reg = _options.FindControl(input.Control) ?? throw new ArgumentException(
            $"The request names control '{input.Control}', which is not registered. Registered: " +
            $"{(_options.Controls.Count == 0 ? "(none)" : string.Join(", ", _options.Controls.Select(c => c.Key)))}; add it with AddControl(\"{input.Control}\", model).");
        // The request's settings whole, or the registration's (ControlInput says why not field by field).
        ControlParameters settings = input.Settings ?? reg;
        var preId = settings.Preprocessor ?? reg.Preprocessor;
        ConditionImage map;
        if (preId == ControlParameters.NoPreprocessor)
        {
            map = input.Source.RequireImage($"{reg.Key} (pre=none)");
            settings = settings with { Preprocessor = preId };
        }
        else
        {
            var pre = catalog.Get(reg.PluginId).GetPreprocessor(preId, $"Control '{reg.Key}'");
            // The registration's options, then the request's: a fresh dictionary per request.
            var merged = new Dictionary<string, string>(reg.Options, StringComparer.OrdinalIgnoreCase);
            if (!ReferenceEquals(settings, reg)) foreach (var (k, v) in settings.Options) merged[k] = v;
            if (settings.PixelPerfect)
                PixelPerfectOptions.Apply(pre, input.Source.Image, merged, width, height, settings.Resize);
            // Neural preprocessors find their weights where the options say, unless the caller brought its own provider.
            var source = input.Source.Models is null ? input.Source with { Models = _options.Annotators() } : input.Source;
            map = Plugins.PreprocessorGuard.Run(pre, source, merged, cancellationToken);
            settings = settings with { Preprocessor = pre.Id, Options = merged };
        }
        return new ControlSettings(reg.Key, map, settings);   // records what made the map: the preprocessor and options used
    }

    public async Task<GenerationResult> GenerateAsync(GenerationRequest request, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        // Preprocessors are stateless and thread-safe: run them before queueing, so only the model is serialised.
        var settings = await Task.Run(() => Resolve(request, cancellationToken), cancellationToken).ConfigureAwait(false);
        return await GenerateAsync(settings, progress, cancellationToken).ConfigureAwait(false);
    }

    public async Task<GenerationResult> GenerateAsync(GenerationSettings settings, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return await Task.Run(() => pipeline.Generate(settings, progress, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally { _gate.Release(); }
    }

    public void Dispose() => _gate.Dispose();

}
