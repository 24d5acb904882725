using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using ControlNet.Abstractions;
using ControlNet.Hosting;
using ControlNet.Pipelines;

namespace ControlNet.Tests.Hosting;

/// <summary>
/// Stands in for the real pipeline in host tests (the DI, queue and CLI logic is under test, not the model): its images
/// are a deterministic function of every setting that matters (prompt, seed, size, steps, sampler, guidance, each
/// control's key, strength, schedule and condition pixels), and it fails loudly if entered concurrently, as the real
/// model must never be.
/// </summary>
sealed class FakePipeline(PipelineOptions options, TimeSpan stepDelay = default) : IControlNetPipeline
{
    int _inside;
    public PipelineOptions Options { get; } = options;
    public IReadOnlyCollection<string> ControlNets => Options.ControlNets.Keys.ToArray();
    public int Calls;
    public int MaxConcurrency;
    public bool Disposed;
    /// <summary>When set, Generate waits for it before sampling (to hold the queue).</summary>
    public ManualResetEventSlim? Hold;

    public GenerationResult Generate(GenerationSettings settings, IProgress<GenerationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        int now = Interlocked.Increment(ref _inside);
        try
        {
            if (now > 1) throw new InvalidOperationException("FakePipeline entered concurrently: the model is not re-entrant.");
            MaxConcurrency = Math.Max(MaxConcurrency, now);
            Interlocked.Increment(ref Calls);
            if (Hold is not null && !Hold.Wait(TimeSpan.FromSeconds(30), cancellationToken)) throw new TimeoutException("FakePipeline.Hold was never released.");
            foreach (var c in settings.Controls)
                if (!Options.ControlNets.ContainsKey(c.ControlNet))
                    throw new KeyNotFoundException($"No ControlNet '{c.ControlNet}' loaded.");
            for (int step = 1; step <= settings.Steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (stepDelay > TimeSpan.Zero) Thread.Sleep(stepDelay);
                progress?.Report(new GenerationProgress(step, settings.Steps, 1000.0 * (settings.Steps - step) / settings.Steps));
            }
            var images = new List<ConditionImage>();
            var seeds = new List<long>();
            for (int i = 0; i < settings.BatchSize; i++)
            {
                long seed = settings.Seed + i;
                seeds.Add(seed);
                images.Add(Render(settings, seed));
            }
            return new GenerationResult(images, seeds, TimeSpan.FromMilliseconds(1));
        }
        finally { Interlocked.Decrement(ref _inside); }
    }

    static ConditionImage Render(GenerationSettings s, long seed)
    {
        var text = new StringBuilder($"{s.Prompt}|{s.NegativePrompt}|{seed}|{s.Width}x{s.Height}|{s.Steps}|{s.Sampler}|{s.GuidanceScale:R}|{s.DenoisingStrength:R}");
        foreach (var c in s.Controls)
            text.Append($"|{c.ControlNet}:{c.Strength:R}:{c.Start:R}:{c.End:R}:{c.Mode}:{c.GuessMode}:{c.Resize}:{Convert.ToHexString(SHA256.HashData(c.Condition.Data ?? []))}");
        if (s.InitImage?.Data is { } init) text.Append('|').Append(Convert.ToHexString(SHA256.HashData(init)));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        var rgb = new byte[s.Width * s.Height * 3];
        new Random(BitConverter.ToInt32(hash, 0)).NextBytes(rgb);
        return ConditionImage.Rgb(s.Width, s.Height, rgb);
    }

    public void Dispose() => Disposed = true;
}

/// <summary>Records every load; returns <see cref="FakePipeline"/>s.</summary>
sealed class FakePipelineFactory(TimeSpan stepDelay = default) : IControlNetPipelineFactory
{
    public ConcurrentQueue<FakePipeline> Created { get; } = new();

    public IControlNetPipeline Create(PipelineOptions options)
    {
        var p = new FakePipeline(options, stepDelay);
        Created.Enqueue(p);
        return p;
    }
}
