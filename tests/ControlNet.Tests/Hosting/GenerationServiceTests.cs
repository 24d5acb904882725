using ControlNet.Abstractions;
using ControlNet.Hosting;
using ControlNet.Hosting.Generation;
using ControlNet.Hosting.Imaging;
using ControlNet.Pipelines;
using Microsoft.Extensions.DependencyInjection;

namespace ControlNet.Tests.Hosting;

public class GenerationServiceTests
{
    static readonly ConditionImage Photo = ImageFile.LoadRgb(Path.Combine(AppContext.BaseDirectory, "Conditions", "TestData", "astronaut-256.png"));

    static ServiceProvider Provider(out FakePipelineFactory factory, Action<ControlNetOptions>? configure = null)
    {
        var (services, builder, f) = ServiceRegistrationTests.Host(configure);
        builder.AddCanny(low: 50, high: 150, model: "cn-canny").AddScribble(model: "cn-scribble");
        factory = f;
        var provider = services.BuildServiceProvider();
        provider.ValidateControlNet();
        return provider;
    }

    // Distinct prompts, seeds, sizes and control settings, so a mix-up between requests would show in the images.
    static GenerationRequest[] Requests() => Enumerable.Range(0, 6).Select(i => new GenerationRequest
    {
        Prompt = $"request {i}",
        Seed = 100 + i,
        Width = 64 + 8 * (i % 2),
        Height = 64,
        Steps = 2 + i % 3,
        Controls = i % 3 == 2 ? [] :
        [
            ControlInput.From("canny", Photo) with { Settings = new() { Strength = 0.5 + 0.1 * i, Options = new Dictionary<string, string> { ["detect-resolution"] = "64", ["low"] = (40 + i).ToString() } } },
            .. i % 2 == 0 ? new[] { ControlInput.From("scribble", Photo) with { Settings = new() { End = 0.5, Options = new Dictionary<string, string> { ["detect-resolution"] = "64" } } } } : [],
        ],
    }).ToArray();

    static byte[][] Pixels(IEnumerable<GenerationResult> results) => results.Select(r => r.Images.Single().Data!).ToArray();

    [Fact]
    public void A_model_folder_gives_its_image_size_and_guidance_unless_the_host_sets_them()
    {
        // The toy model's controlnet-model.json: image_size 32, guidance_scale 3 (no weights are loaded: fake pipeline).
        var toy = Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath);
        using (var provider = Provider(out _, o => { o.BaseModel = toy; o.Defaults = o.Defaults with { Steps = 4 }; }))
        {
            var settings = provider.GetRequiredService<IGenerationService>().Resolve(new GenerationRequest { Prompt = "p" });
            Assert.Equal((32, 32, 3.0, 4), (settings.Width, settings.Height, settings.GuidanceScale, settings.Steps));
            var asked = provider.GetRequiredService<IGenerationService>().Resolve(new GenerationRequest { Prompt = "p", Width = 64, Height = 48 });
            Assert.Equal((64, 48), (asked.Width, asked.Height));               // the request wins
        }
        using (var provider = Provider(out _, o => { o.BaseModel = toy; o.Defaults = o.Defaults with { Width = 64, Height = 64, GuidanceScale = 5 }; }))
        {
            var settings = provider.GetRequiredService<IGenerationService>().Resolve(new GenerationRequest { Prompt = "p" });
            Assert.Equal((64, 64, 5.0), (settings.Width, settings.Height, settings.GuidanceScale));   // the host's defaults win
        }
        using (var provider = Provider(out _))                                 // not a model folder: the library's defaults
        {
            var settings = provider.GetRequiredService<IGenerationService>().Resolve(new GenerationRequest { Prompt = "p" });
            Assert.Equal((512, 512, 9.0), (settings.Width, settings.Height, settings.GuidanceScale));
        }
    }

    [Fact]
    public void Pixel_perfect_detects_the_map_at_the_output_size()
    {
        using var provider = Provider(out _);
        var service = provider.GetRequiredService<IGenerationService>();
        ConditionImage Map(bool? pixelPerfect, ResizeMode resize) => service.Resolve(new GenerationRequest
        {
            Prompt = "p", Width = 384, Height = 448,
            Controls = [ControlInput.From("canny", Photo) with { Settings = new() { PixelPerfect = pixelPerfect ?? false, Resize = resize, Options = new Dictionary<string, string> { ["detect-resolution"] = "64" } } }],
        }).Controls.Single().Condition;
        Assert.Equal((64, 64), Size(Map(null, ResizeMode.CropAndResize)));
        Assert.Equal((448, 448), Size(Map(true, ResizeMode.CropAndResize)));   // 256² photo: k = max(448, 384)/256
        Assert.Equal((384, 384), Size(Map(true, ResizeMode.ResizeAndFill)));   // k = min(…)
        static (int, int) Size(ConditionImage m) => (m.Width, m.Height);
    }

    [Fact]
    public async Task Concurrent_requests_give_the_same_images_as_sequential_ones()
    {
        var requests = Requests();
        var sequential = new List<GenerationResult>();
        using (var provider = Provider(out _))
        {
            var service = provider.GetRequiredService<IGenerationService>();
            foreach (var r in requests) sequential.Add(await service.GenerateAsync(r));
        }

        using (var provider = Provider(out var factory))
        {
            var service = provider.GetRequiredService<IGenerationService>();
            var concurrent = await Task.WhenAll(requests.Select(r => Task.Run(() => service.GenerateAsync(r))));
            var pipeline = Assert.Single(factory.Created);
            Assert.Equal(requests.Length, pipeline.Calls);
            Assert.Equal(1, pipeline.MaxConcurrency);   // the fake throws if entered twice; this says it ran
            Assert.Equal(Pixels(sequential), Pixels(concurrent));
        }
        // The images do depend on the request (else the comparison above proves nothing).
        Assert.Equal(requests.Length, Pixels(sequential).Select(Convert.ToBase64String).Distinct().Count());
    }

    [Fact]
    public void Defaults_fill_what_the_request_leaves_out_and_options_merge()
    {
        using var provider = Provider(out _, o => o.Defaults = o.Defaults with { Steps = 7, Sampler = "euler", GuidanceScale = 5, Width = 320 });
        var service = provider.GetRequiredService<IGenerationService>();
        var options = new Dictionary<string, string> { ["detect-resolution"] = "64" };
        var settings = service.Resolve(new GenerationRequest { Prompt = "p", Seed = 3, Steps = 4, Controls = [ControlInput.From("canny", Photo) with { Settings = new() { Options = options } }] });
        Assert.Equal((4, "euler", 5.0, 320, 512, 3L), (settings.Steps, settings.Sampler, settings.GuidanceScale, settings.Width, settings.Height, settings.Seed));
        var control = Assert.Single(settings.Controls);
        Assert.Equal("canny", control.ControlNet);
        Assert.Equal(64, Math.Min(control.Condition.Width, control.Condition.Height));   // the request's detect-resolution reached the preprocessor
        // The registration's low=50/high=150 were used: the map equals the preprocessor's with those options.
        var (_, canny) = provider.GetRequiredService<ControlNet.Hosting.Plugins.PluginCatalog>().FindPreprocessor("canny");
        var expected = canny.Run(PreprocessorSource.From(Photo), new Dictionary<string, string> { ["low"] = "50", ["high"] = "150", ["detect-resolution"] = "64" });
        Assert.Equal(expected.Data, control.Condition.Data);
        var defaults = canny.Run(PreprocessorSource.From(Photo), new Dictionary<string, string> { ["detect-resolution"] = "64" });
        Assert.NotEqual(defaults.Data, control.Condition.Data);
    }

    [Fact]
    public void A_request_for_an_unregistered_control_or_bad_value_is_refused_by_name()
    {
        using var provider = Provider(out _);
        var service = provider.GetRequiredService<IGenerationService>();
        var e = Assert.Throws<ArgumentException>(() => service.Resolve(new GenerationRequest { Controls = [ControlInput.From("depth", Photo)] }));
        Assert.Contains("'depth'", e.Message);
        Assert.Contains("canny, scribble", e.Message);
        e = Assert.Throws<ArgumentException>(() => service.Resolve(new GenerationRequest { Steps = -1, Width = 65 }));
        Assert.Contains("Steps is -1", e.Message);
        Assert.Contains("Width is 65", e.Message);
    }

    [Fact]
    public async Task Progress_is_reported_and_a_queued_request_can_be_cancelled()
    {
        using var provider = Provider(out var factory);
        var service = provider.GetRequiredService<IGenerationService>();
        var pipeline = Assert.Single(factory.Created);

        var steps = new List<int>();
        await service.GenerateAsync(new GenerationRequest { Steps = 5, Width = 64, Height = 64 }, new SyncProgress(p => steps.Add(p.Step)));
        Assert.Equal([1, 2, 3, 4, 5], steps);

        pipeline.Hold = new ManualResetEventSlim(false);
        var running = service.GenerateAsync(new GenerationRequest { Steps = 1, Width = 64, Height = 64 });
        while (pipeline.Calls < 2) await Task.Delay(5);                 // the first request holds the model
        using var cts = new CancellationTokenSource();
        var queued = service.GenerateAsync(new GenerationRequest { Steps = 1, Width = 64, Height = 64 }, null, cts.Token);
        cts.Cancel();
        try { await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued); }
        finally { pipeline.Hold.Set(); }
        await running;
        Assert.Equal(2, pipeline.Calls);                                  // the cancelled request never reached the model
    }

    sealed class SyncProgress(Action<GenerationProgress> report) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value) => report(value);
    }
}
