using ControlNet.Autoencoders;
using ControlNet.Models;
using ControlNet.Sampling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>
/// The paper's training loop (§3.3, REFERENCE §8): z_0 = E(target), t ~ U{0..T−1}, ε ~ N(0, I),
/// z_t = √ᾱ_t z_0 + √(1−ᾱ_t) ε, captions emptied with probability <see cref="TrainingOptions.EmptyPromptRate"/>,
/// loss = MSE(ε̂(z_t, t, c_text, c_f), ε), AdamW on the trainable weights only.
/// <para>ControlNet target: the base is locked (requires_grad off, no optimizer state, never written); gradients flow
/// through it into the ControlNet. With <see cref="TrainingOptions.UnlockDecoder"/> the base's output_blocks and out
/// train too. Base target: every U-Net weight trains, no control.</para>
/// </summary>
public sealed class DiffusionTrainer : IDisposable
{
    readonly nn.Module _unet;
    readonly nn.Module? _controlNet;
    readonly IUNet _unetForward;               // _unet, typed for its forward
    readonly IControlNet? _controlNetForward;  // _controlNet, typed for its forward
    readonly PromptEncoder _prompts;
    readonly TrainingSet _data;
    readonly IAutoencoder _autoencoder;
    readonly LatentCache? _latentCache;
    readonly ScalarType? _lowPrecision;   // the locked U-Net's dtype under mixed precision
    readonly Tensor _sqrtAlphaBar, _sqrtOneMinusAlphaBar;   // [T]

    /// <summary>U-Net prefixes trained with <see cref="TrainingOptions.UnlockDecoder"/> (LDM sd_locked = False).</summary>
    public static IReadOnlyList<string> DecoderPrefixes { get; } = ["output_blocks.", "out."];

    public DiffusionTrainer(nn.Module unet, nn.Module? controlNet, PromptEncoder prompts, TrainingSet data, TrainingOptions options,
        IAutoencoder? autoencoder = null, NoiseSchedule? schedule = null, LatentCache? latentCache = null)
    {
        Options = options.Validate();
        _unetForward = unet as IUNet ?? throw new ArgumentException($"{unet.GetType().Name} is not a generated U-Net (IUNet).", nameof(unet));
        _controlNetForward = options.Target == TrainingTarget.ControlNet ? controlNet as IControlNet : null;
        if (options.Target == TrainingTarget.ControlNet && _controlNetForward is null)
            throw new ArgumentException("ControlNet training needs a ControlNet (build it with ControlNetFactory.FromUNet from the base).", nameof(controlNet));
        _unet = unet;
        _controlNet = options.Target == TrainingTarget.ControlNet ? controlNet : null;
        ActivationCheckpoint.Enable(_unet, options.GradientCheckpointing);
        if (_controlNet is not null) ActivationCheckpoint.Enable(_controlNet, options.GradientCheckpointing);
        _prompts = prompts;
        _data = data;
        _autoencoder = autoencoder ?? new IdentityAutoencoder(_unetForward.Architecture.InChannels);
        _latentCache = latentCache;
        if (_autoencoder.LatentChannels != _unetForward.Architecture.InChannels)
            throw new ArgumentException($"The autoencoder's latent has {_autoencoder.LatentChannels} channels but the U-Net takes {_unetForward.Architecture.InChannels}; pair the U-Net with its own VAE.", nameof(autoencoder));
        Schedule = schedule ?? NoiseSchedule.StableDiffusion;
        var alphaBar = tensor(Schedule.AlphasCumprod.ToArray(), ScalarType.Float64);
        _sqrtAlphaBar = alphaBar.sqrt().to_type(ScalarType.Float32).DetachFromDisposeScope();
        _sqrtOneMinusAlphaBar = (1 - alphaBar).sqrt().to_type(ScalarType.Float32).DetachFromDisposeScope();

        if (options.Precision != TrainingPrecision.Fp32)
        {
            var device = unet.parameters().First().device;
            if (options.Precision == TrainingPrecision.Fp16 && device.type != DeviceType.CUDA)
                throw new ArgumentException($"--mixed-precision fp16 needs a CUDA device (CPU kernels for fp16 convolutions are missing or slow); on {device.type} use bf16.");
            _lowPrecision = options.Precision == TrainingPrecision.Bf16 ? ScalarType.BFloat16 : ScalarType.Float16;
            unet.to(_lowPrecision.Value);   // locked: no fp32 master copy is needed
        }
        Trainable = SelectTrainable();
        Optimizer = new AdamW(Trainable, options.LearningRate, weightDecay: options.WeightDecay);
        Ema = options.EmaDecay is { } decay ? new ExponentialMovingAverage(Trainable, decay) : null;
    }

    public TrainingOptions Options { get; }
    public NoiseSchedule Schedule { get; }
    /// <summary>Optimizer steps done (the next step to run has this index).</summary>
    public long Step { get; private set; }
    /// <summary>Trainable parameters, named "controlnet.*" / "unet.*".</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Trainable { get; }
    public AdamW Optimizer { get; }
    public ExponentialMovingAverage? Ema { get; }

    IReadOnlyList<(string, Parameter)> SelectTrainable()
    {
        var list = new List<(string, Parameter)>();
        bool baseTrains = Options.Target == TrainingTarget.Base;
        foreach (var (name, p) in _unet.named_parameters())
        {
            bool train = baseTrains || (Options.UnlockDecoder && DecoderPrefixes.Any(name.StartsWith));
            p.requires_grad = train;
            if (train) list.Add(("unet." + name, p));
        }
        if (_controlNet is not null)
            foreach (var (name, p) in _controlNet.named_parameters())
            {
                p.requires_grad = true;
                list.Add(("controlnet." + name, p));
            }
        return list;
    }

    /// <summary>The rows, emptied prompts and noise seed of micro-batch <paramref name="micro"/> of step <paramref name="step"/>.</summary>
    public MicroBatchPlan Plan(long step, int micro) => MicroBatchPlan.Create(Options, _data.Count, step, micro);

    /// <summary>One optimizer step over <see cref="TrainingOptions.GradientAccumulation"/> micro-batches; returns the mean loss.</summary>
    public double TrainStep()
    {
        _unet.train(Options.Target == TrainingTarget.Base || Options.UnlockDecoder);
        _controlNet?.train();
        Optimizer.ZeroGrad();
        double total = 0;
        for (int micro = 0; micro < Options.GradientAccumulation; micro++)
        {
            using var scope = NewDisposeScope();
            var loss = Loss(Plan(Step, micro)) / Options.GradientAccumulation;
            loss.backward();
            total += loss.item<float>();
        }
        Optimizer.Step();
        Step++;
        Ema?.Update(Step);
        return total;
    }

    /// <summary>MSE(ε̂, ε) of one planned micro-batch, with the graph attached.</summary>
    public Tensor Loss(MicroBatchPlan plan)
    {
        // The ControlNet's encoder decides the map's channels (a plug-in's may read 1); base training ignores the hint.
        var (target, hint, prompts) = _data.Batch(plan.Indices, _controlNetForward?.Architecture.HintChannels ?? _unetForward.Architecture.HintChannels);
        var generator = new Generator(plan.NoiseSeed);
        long b = target.shape[0];
        Tensor z0;
        using (no_grad())
            z0 = _latentCache is not null
                ? _latentCache.Encode(_data, plan.Indices, target, generator)                     // [B, C, h, w]
                : _autoencoder.Encode(target, generator);
        var t = randint(0, Schedule.TrainTimesteps, [b], ScalarType.Int64, generator: generator);   // [B]
        var noise = randn(z0.shape, generator: generator);                                       // [B, C, h, w]
        var zt = _sqrtAlphaBar[t].view(b, 1, 1, 1) * z0 + _sqrtOneMinusAlphaBar[t].view(b, 1, 1, 1) * noise;
        var context = _prompts.Encode(prompts.Select((p, i) => plan.EmptyPrompt[i] ? "" : p).ToList());   // [B, 77, D]
        var eps = PredictNoise(zt, t, context, hint);
        return nn.functional.mse_loss(eps, noise);
    }

    Tensor PredictNoise(Tensor zt, Tensor t, Tensor context, Tensor hint)
    {
        var unet = _unetForward;
        if (_controlNetForward is null) return unet.Forward(zt, t, context);
        var residuals = _controlNetForward.ForwardWithHint(zt, hint, t, context);   // fp32: the trained part
        if (_lowPrecision is not { } low) return unet.Forward(zt, t, context, residuals);
        var eps = unet.Forward(zt.to(low), t, context.to(low), residuals.Select(r => r.to(low)).ToList());
        return eps.to(ScalarType.Float32);                                                  // the loss in fp32
    }

    /// <summary>Restores the state saved by <see cref="TrainingCheckpoint.Save"/> (weights, AdamW moments, EMA, step).</summary>
    internal void Restore(long step, Func<string, Tensor> read)
    {
        using (no_grad())
            foreach (var (name, p) in Trainable)
            {
                using var value = read("weights." + name);
                p.copy_(value);
            }
        Optimizer.Load(name => read("adam." + name), step);
        Ema?.Load(name => read("ema." + name));
        Step = step;
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        Ema?.Dispose();
        _sqrtAlphaBar.Dispose();
        _sqrtOneMinusAlphaBar.Dispose();
    }
}
