using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Sampling;

/// <summary>
/// A sampler for an ε-prediction diffusion model on a discrete training schedule.
/// Usage: <c>var plan = sampler.CreatePlan(steps, strength); var x = sampler.StartLatent(plan, noise, init);
/// var z0 = sampler.Sample(plan, x, predictor, options);</c>. The sampler owns input scaling, timesteps, noise
/// levels and random draws; the predictor owns the networks, guidance and control.
/// Two latent spaces are in use: DDIM, PLMS and DPM++ keep x = √ᾱ·x0 + √(1−ᾱ)·ε ("variance preserving");
/// Euler and Euler ancestral keep x = x0 + σ·ε ("variance exploding") and scale the model input by 1/√(σ²+1).
/// </summary>
public abstract class Sampler
{
    protected Sampler(NoiseSchedule schedule)
    {
        Schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
    }

    public NoiseSchedule Schedule { get; }

    /// <summary>The name <see cref="SamplerFactory.Create"/> knows this sampler by.</summary>
    public abstract string Name { get; }

    /// <summary>True when the latent is x0 + σ·ε (Euler family); false for √ᾱ·x0 + √(1−ᾱ)·ε.</summary>
    public abstract bool IsVarianceExploding { get; }

    /// <summary>True when the sampler draws random numbers during sampling (ancestral samplers, DDIM with η &gt; 0).</summary>
    public virtual bool IsStochastic => false;

    /// <summary>
    /// Plans a run of <paramref name="steps"/> steps. For img2img, <paramref name="denoisingStrength"/> &lt; 1 keeps only the
    /// last ⌊N·strength⌋ of the N scheduled steps (diffusers' img2img rule); start from <see cref="StartLatent"/> with the init latent.
    /// </summary>
    public SamplingPlan CreatePlan(int steps, double denoisingStrength = 1.0)
    {
        if (steps < 1)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "Steps must be at least 1 (the ControlNet apps use 20).");
        if (!(denoisingStrength > 0 && denoisingStrength <= 1))
            throw new ArgumentOutOfRangeException(nameof(denoisingStrength), denoisingStrength,
                "Denoising strength must be in (0, 1]: 1 ignores the init image, 0.5 keeps its composition. Use 1 for text-to-image.");
        return BuildPlan(steps, denoisingStrength);
    }

    /// <summary>
    /// The latent to start sampling from: <paramref name="noise"/>·InitNoiseSigma for text-to-image, or, with
    /// <paramref name="initLatent"/> (img2img), the init latent noised to the level of the plan's first call.
    /// </summary>
    public Tensor StartLatent(SamplingPlan plan, Tensor noise, Tensor? initLatent = null)
    {
        CheckPlan(plan);
        if (initLatent is null)
            return noise * plan.InitNoiseSigma;
        if (!initLatent.shape.SequenceEqual(noise.shape))
            throw new ArgumentException($"Init latent shape [{string.Join(", ", initLatent.shape)}] differs from the noise shape [{string.Join(", ", noise.shape)}]; draw the noise with the init latent's shape.");
        return AddNoise(initLatent, noise, plan.Sigmas[0]);
    }

    /// <summary>Noises a clean latent to noise level σ in this sampler's latent space (diffusers <c>add_noise</c>).</summary>
    public Tensor AddNoise(Tensor original, Tensor noise, double sigma)
    {
        if (IsVarianceExploding)
            return original + noise * sigma;
        double alphaCumprod = NoiseSchedule.AlphaCumprodFromSigma(sigma);
        return original * Math.Sqrt(alphaCumprod) + noise * Math.Sqrt(1 - alphaCumprod);
    }

    /// <summary>The tensor handed to the model at call <paramref name="callIndex"/> (x/√(σ²+1) for the Euler family, x otherwise).</summary>
    public Tensor ScaleModelInput(Tensor latent, SamplingPlan plan, int callIndex)
    {
        if (!IsVarianceExploding) return latent.alias();
        double sigma = plan.Sigmas[callIndex];
        return latent / Math.Sqrt(sigma * sigma + 1);
    }

    /// <summary>
    /// Runs every call of <paramref name="plan"/> from <paramref name="start"/> and returns the final latent
    /// (the clean latent x0, to hand to the autoencoder's decoder). <paramref name="start"/> is not modified or disposed.
    /// Each call runs in its own dispose scope: tensors the predictor or the callbacks create are disposed when the call
    /// ends unless they are detached (<c>DetachFromDisposeScope()</c>) or cloned into an outer owner.
    /// </summary>
    public Tensor Sample(SamplingPlan plan, Tensor start, EpsilonPredictor model, SamplingOptions? options = null)
    {
        CheckPlan(plan);
        ArgumentNullException.ThrowIfNull(model);
        options ??= new SamplingOptions();
        using var run = NewDisposeScope();
        var stepper = CreateStepper(plan, options.Generator);
        Tensor x = start.alias();
        for (int i = 0; i < plan.CallCount; i++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            var input = ScaleModelInput(x, plan, i);
            var timestep = torch.tensor((float)plan.Timesteps[i], device: x.device);   // 0-dim float32
            var eps = model(input, timestep, i);
            if (!eps.shape.SequenceEqual(input.shape))
                throw new InvalidOperationException($"The denoiser returned shape [{string.Join(", ", eps.shape)}] for input [{string.Join(", ", input.shape)}]; it must return ε with the input's shape.");
            var next = stepper.Step(x, eps.to_type(x.dtype), i, out var predictedOriginal);
            if (options.AfterStep is not null)
            {
                next = options.AfterStep(next, i);
                if (!next.shape.SequenceEqual(x.shape))
                    throw new InvalidOperationException($"AfterStep returned shape [{string.Join(", ", next.shape)}]; it must keep the latent shape [{string.Join(", ", x.shape)}].");
            }
            options.OnStep?.Invoke(new SamplerProgress(i, plan.CallCount, plan.Timesteps[i], next, predictedOriginal));
            x = next.MoveToOuterDisposeScope();
            if (options.StopAfter?.Invoke(i) == true) break;
        }
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Builds the plan for valid arguments.</summary>
    protected abstract SamplingPlan BuildPlan(int steps, double denoisingStrength);

    /// <summary>Creates the per-run state machine (history for multistep methods, the generator for ancestral ones).</summary>
    protected abstract IStepper CreateStepper(SamplingPlan plan, Generator? generator);

    /// <summary>One update per model call. Tensors it keeps across calls must be moved out of the call's dispose scope.</summary>
    protected interface IStepper
    {
        Tensor Step(Tensor x, Tensor eps, int callIndex, out Tensor predictedOriginal);
    }

    /// <summary>Keeps the last ⌊N·strength⌋ of N scheduled entries (diffusers: t_start = N − min(int(N·s), N)).</summary>
    protected static int StepsToSkip(int scheduled, double denoisingStrength)
    {
        int kept = Math.Min((int)(scheduled * denoisingStrength), scheduled);
        if (kept < 1)
            throw new ArgumentOutOfRangeException(nameof(denoisingStrength), denoisingStrength,
                $"Denoising strength {denoisingStrength} leaves no step of {scheduled}; raise the strength to at least {1.0 / scheduled:0.###} or use more steps.");
        return scheduled - kept;
    }

    /// <summary>Makes a plan from the full (txt2img) timestep and σ lists (σ has one extra final entry), dropping img2img's skipped steps.</summary>
    protected SamplingPlan SlicedPlan(int steps, double denoisingStrength, IReadOnlyList<double> timesteps, IReadOnlyList<double> sigmas, double initNoiseSigma)
    {
        int skip = StepsToSkip(timesteps.Count, denoisingStrength);
        return new SamplingPlan(Name, steps, skip, timesteps.Skip(skip).ToArray(), sigmas.Skip(skip).ToArray(), initNoiseSigma);
    }

    void CheckPlan(SamplingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Sampler != Name)
            throw new ArgumentException($"The plan was made by sampler '{plan.Sampler}', not '{Name}'; create the plan with the sampler that runs it.", nameof(plan));
        if (plan.Sigmas.Count != plan.CallCount + 1)
            throw new ArgumentException($"A plan needs {plan.CallCount + 1} σ entries (one per call plus the final level), got {plan.Sigmas.Count}.", nameof(plan));
    }

    /// <summary>x̂0 from ε in the variance-preserving space at ᾱ.</summary>
    protected static Tensor PredictOriginalVp(Tensor x, Tensor eps, double alphaCumprod)
        => (x - eps * Math.Sqrt(1 - alphaCumprod)) / Math.Sqrt(alphaCumprod);
}
