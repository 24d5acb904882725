using ControlNet.Abstractions;
using ControlNet.Pipelines;

namespace ControlNet.Tests.Pipelines;

/// <summary>Whole generations on the tiny toy pipeline (16×16 pixel space, CPU).</summary>
public class PipelineTests : IDisposable
{
    readonly CountingControlNet _counting = new(TinyModels.ControlNet(21));
    readonly ControlNetPipeline _pipeline;

    public PipelineTests()
    {
        _pipeline = TinyModels.Pipeline(TinyModels.Tokenizer(), ("edges", _counting), ("other", TinyModels.ControlNet(22)));
    }

    static GenerationSettings Settings(params ControlSettings[] controls) => new()
    {
        Prompt = "a white square", NegativePrompt = "blurry", Width = 16, Height = 16, Steps = 4, GuidanceScale = 5, Seed = 42, Controls = controls,
    };

    static ControlSettings Edges(double start = 0, double end = 1) => new() { ControlNet = "edges", Condition = TinyModels.Square(32, 8, 24), Start = start, End = end };

    [Fact]
    public void Hint_encoder_runs_once_per_generation_and_the_controlnet_only_inside_its_window()
    {
        var progress = new ListProgress<GenerationProgress>();
        _pipeline.Generate(Settings(Edges()), progress);
        Assert.Equal(1, _counting.HintEncodings);
        Assert.Equal(4, _counting.Forwards);
        Assert.Equal(new[] { 1, 2, 3, 4 }, progress.Items.Select(p => p.Step));
        Assert.All(progress.Items, p => Assert.Equal(4, p.TotalSteps));

        Assert.All(progress.Items, p => Assert.Null(p.Latent));

        _pipeline.Generate(Settings(Edges(0.5, 1)));
        Assert.Equal(2, _counting.HintEncodings);
        Assert.Equal(4 + 2, _counting.Forwards);   // calls 2 and 3 of 4
    }

    [Fact]
    public void Progress_can_carry_a_copy_of_each_steps_latent_for_previews()
    {
        var progress = new ListProgress<GenerationProgress>();
        var result = _pipeline.Generate(Settings(Edges()) with { ReportLatents = true }, progress);
        Assert.Equal(4, progress.Items.Count);
        foreach (var p in progress.Items)
        {
            Assert.NotNull(p.Latent);
            Assert.Equal(p.Latent!.Shape.Aggregate(1L, (a, b) => a * b), p.Latent.Values.Length);
            Assert.Equal(1, p.Latent.Shape[0]);                                 // batch 1 (the CFG half is not included)
        }
        // The latent changes from step to step.
        Assert.NotEqual(progress.Items[0].Latent!.Values, progress.Items[^1].Latent!.Values);
        Assert.Single(result.Images);
    }

    [Fact]
    public void Same_seed_gives_identical_bytes_and_another_seed_does_not()
    {
        var s = Settings(Edges()) with { BatchSize = 2 };
        var a = _pipeline.Generate(s);
        var b = _pipeline.Generate(s);
        var c = _pipeline.Generate(s with { Seed = 43, BatchSize = 1 });
        Assert.Equal(new long[] { 42, 43 }, a.Seeds);
        Assert.Equal(a.Images[0].Data, b.Images[0].Data);
        Assert.Equal(a.Images[1].Data, b.Images[1].Data);
        Assert.NotEqual(a.Images[0].Data, a.Images[1].Data);
        // Item k starts from seed + k: seed 43 alone reproduces item 1 (deterministic DDIM; allow float noise from batch size).
        var diff = a.Images[1].Data!.Zip(c.Images[0].Data!, (p, q) => Math.Abs(p - q)).Max();
        Assert.True(diff <= 1, $"item 1 of seed 42 and seed 43 alone differ by {diff} levels");
        Assert.Equal(16, a.Images[0].Width);
        Assert.Equal(3, a.Images[0].Channels);
    }

    [Fact]
    public void Control_changes_the_image_and_strength_zero_does_not()
    {
        var none = _pipeline.Generate(Settings());
        var zero = _pipeline.Generate(Settings(Edges() with { Strength = 0 }));
        var full = _pipeline.Generate(Settings(Edges()));
        Assert.Equal(none.Images[0].Data, zero.Images[0].Data);
        Assert.NotEqual(none.Images[0].Data, full.Images[0].Data);
    }

    [Fact]
    public void Img2img_with_strength_zero_returns_the_init_image()
    {
        var init = TinyModels.Gradient(16, 16);
        var result = _pipeline.Generate(Settings(Edges()) with { InitImage = init, DenoisingStrength = 0 });
        Assert.Equal(init.Data, result.Images[0].Data);   // identity autoencoder: exact
        var half = _pipeline.Generate(Settings(Edges()) with { InitImage = init, DenoisingStrength = 0.5 });
        Assert.NotEqual(init.Data, half.Images[0].Data);
    }

    [Fact]
    public void Inpainting_keeps_the_black_part_of_the_mask()
    {
        var init = TinyModels.Gradient(16, 16);
        var keepAll = ConditionImage.Rgb(16, 16, new byte[16 * 16 * 3]);
        // Euler lands on σ = 0, so the pasted-back known region is the init latent itself.
        var kept = _pipeline.Generate(Settings(Edges()) with { Sampler = "euler", InitImage = init, DenoisingStrength = 1, Mask = keepAll });
        Assert.Equal(init.Data, kept.Images[0].Data);
        var repaintAll = TinyModels.Square(16, 0, 16);
        var repainted = _pipeline.Generate(Settings(Edges()) with { Sampler = "euler", InitImage = init, DenoisingStrength = 1, Mask = repaintAll });
        Assert.NotEqual(init.Data, repainted.Images[0].Data);
    }

    [Theory]
    [InlineData(18, 16)]
    [InlineData(16, 30)]
    [InlineData(13, 10)]
    public void Sizes_that_are_not_multiples_of_the_unet_divisor_generate_at_that_size(int width, int height)
    {
        // The pixel-space toy (autoencoder factor 1) takes any size; its decoder upsamples to each skip's size.
        var image = _pipeline.Generate(Settings(Edges()) with { Width = width, Height = height }).Images[0];
        Assert.Equal((width, height), (image.Width, image.Height));
    }

    [Fact]
    public void Bad_settings_fail_before_any_work_with_the_fix()
    {
        Assert.Contains("not loaded", Assert.Throws<ArgumentException>(() => _pipeline.Generate(Settings(Edges() with { ControlNet = "depth" }))).Message);
        Assert.Contains("init image", Assert.Throws<ArgumentException>(() => _pipeline.Generate(Settings() with { Mask = TinyModels.Square(16, 0, 8) })).Message);
        Assert.Contains("ddim", Assert.Throws<ArgumentException>(() => _pipeline.Generate(Settings() with { Sampler = "euler", Eta = 0.5 })).Message);
        Assert.Equal(0, _counting.HintEncodings);
    }

    [Fact]
    public void Cancellation_stops_between_steps()
    {
        using var cts = new CancellationTokenSource();
        var progress = new CallbackProgress(p => { if (p.Step == 2) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => _pipeline.Generate(Settings(Edges()), progress, cts.Token));
        Assert.Equal(2, _counting.Forwards);
    }

    [Fact]
    public void Two_controlnets_and_every_mode_run_end_to_end()
    {
        var other = new ControlSettings { ControlNet = "other", Condition = TinyModels.Gradient(20, 12), Resize = ResizeMode.ResizeAndFill, Strength = 0.5 };
        var results = new[]
        {
            Settings(Edges(), other),
            Settings(Edges() with { Mode = ControlMode.PromptIsMoreImportant }, other with { Mode = ControlMode.ControlNetIsMoreImportant }),
            Settings(Edges() with { GuessMode = true }, other with { GuessMode = true, GuessModeVariant = GuessModeVariant.Diffusers }),
            Settings(Edges() with { CfgResolutionWeighting = CfgResolutionWeighting.Paper }, other with { CfgResolutionWeighting = CfgResolutionWeighting.Normalized }),
        }.Select(s => _pipeline.Generate(s).Images[0].Data!).ToList();
        Assert.Equal(results.Count, results.Select(Convert.ToBase64String).Distinct().Count());
    }

    sealed class CallbackProgress(Action<GenerationProgress> action) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value) => action(value);
    }

    public void Dispose() => _pipeline.Dispose();
}
