namespace ControlNet.Training;

/// <summary>What is trained: the whole base U-Net (no control), or a ControlNet next to a locked base.</summary>
public enum TrainingTarget { Base, ControlNet }

/// <summary>
/// Precision of the locked base during ControlNet training. Fp32 everywhere, or the locked U-Net stored and run in
/// bf16/fp16 while the trainable ControlNet keeps fp32 weights, gradients and AdamW state (diffusers' train_controlnet.py
/// with --mixed_precision: the frozen parts in weight_dtype, the trained part in fp32). Residuals are cast down at the
/// U-Net's input, ε̂ back up to fp32 for the loss; gradients flow through both casts.
/// </summary>
public enum TrainingPrecision { Fp32, Bf16, Fp16 }

/// <summary>Hyper-parameters of one run. Defaults are the paper's ControlNet settings (REFERENCE §8).</summary>
public sealed record TrainingOptions
{
    public TrainingTarget Target { get; init; } = TrainingTarget.ControlNet;
    /// <summary>AdamW learning rate: 1e-5 (paper), 2e-6 recommended with <see cref="UnlockDecoder"/>.</summary>
    public double LearningRate { get; init; } = 1e-5;
    public double WeightDecay { get; init; } = 0.01;
    public int BatchSize { get; init; } = 4;
    /// <summary>Micro-batches summed into one optimizer step (effective batch = BatchSize × this).</summary>
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>Probability that a caption is replaced by "" (paper §3.3: 50 %).</summary>
    public double EmptyPromptRate { get; init; } = 0.5;
    /// <summary>Also train the base's output_blocks and out (LDM sd_locked = False).</summary>
    public bool UnlockDecoder { get; init; }
    /// <summary>EMA decay of the trained weights; null = no EMA.</summary>
    public double? EmaDecay { get; init; }
    /// <summary>Recompute each U-Net/ControlNet block in backward instead of keeping its activations
    /// (<see cref="ControlNet.Models.ActivationCheckpoint"/>): less memory, one extra forward per step.</summary>
    public bool GradientCheckpointing { get; init; }
    public long Seed { get; init; } = 0;
    /// <summary>Precision of the locked base (<see cref="TrainingPrecision"/>); the trained weights are always fp32.</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;

    public TrainingOptions Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "Batch size must be at least 1.");
        if (GradientAccumulation < 1) throw new ArgumentOutOfRangeException(nameof(GradientAccumulation), GradientAccumulation, "Gradient accumulation must be at least 1 (1 = off).");
        if (!(EmptyPromptRate >= 0 && EmptyPromptRate <= 1)) throw new ArgumentOutOfRangeException(nameof(EmptyPromptRate), EmptyPromptRate, "The empty-prompt rate is a probability in [0, 1]; the paper uses 0.5.");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive (paper: 1e-5).");
        if (UnlockDecoder && Target == TrainingTarget.Base) throw new ArgumentException("--unlock-decoder applies to ControlNet training; base training already trains every U-Net weight.");
        if (Precision != TrainingPrecision.Fp32 && (Target == TrainingTarget.Base || UnlockDecoder))
            throw new ArgumentException($"--mixed-precision {Precision.ToString().ToLowerInvariant()} stores the locked base in low precision, but {(UnlockDecoder ? "--unlock-decoder trains its decoder" : "base training trains all of it")}, which needs fp32 weights; drop one of the two.");
        return this;
    }
}
