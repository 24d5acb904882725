using static TorchSharp.torch;

namespace ControlNet.Pipelines;

/// <summary>
/// What <see cref="GenerationSettings.OnStepEnd"/> sees after each sampler step (diffusers <c>callback_on_step_end</c>):
/// the step, its timestep and the latent [B, C, h, w] in the sampler's own space. Set <see cref="Latents"/> to a tensor of
/// the same shape to continue from it, or <see cref="Stop"/> to end sampling and decode the current latent. The tensors
/// are valid only during the callback (clone to keep).
/// </summary>
public sealed class StepEnd
{
    internal StepEnd(int step, int totalSteps, double timestep, Tensor latents)
    {
        Step = step;
        TotalSteps = totalSteps;
        Timestep = timestep;
        Latents = latents;
    }

    /// <summary>1…<see cref="TotalSteps"/>.</summary>
    public int Step { get; }
    public int TotalSteps { get; }
    public double Timestep { get; }
    /// <summary>The latent after this step; replace it to change what the next step starts from.</summary>
    public Tensor Latents { get; set; }
    /// <summary>End sampling after this step (the image is decoded from the current latent).</summary>
    public bool Stop { get; set; }
}
