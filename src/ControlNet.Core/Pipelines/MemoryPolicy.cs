namespace ControlNet.Pipelines;

/// <summary>
/// Whether a pipeline keeps every network in memory between uses or frees what a phase no longer needs
/// (<see cref="PipelineOptions.MemoryPolicy"/>, <c>generate --memory-policy</c>).
/// </summary>
public enum MemoryPolicy
{
    /// <summary>Every network stays loaded: nothing is read twice (a server answering the next request).</summary>
    Keep,
    /// <summary>
    /// The text encoder's weights are freed after each prompt encoding and read again from the model file at the next one;
    /// the VAE encoder is not loaded until an img2img or inpainting run needs it, and is freed again after encoding.
    /// Lowers the peak memory of sampling and decoding by those networks (a one-shot <c>controlnet generate</c>). The
    /// weights come back bit for bit.
    /// </summary>
    Release,
}

/// <summary>The one place the policy's names are read ("keep", "release").</summary>
public static class MemoryPolicies
{
    public static MemoryPolicy Parse(string value) =>
        Enum.TryParse<MemoryPolicy>(value?.Trim(), ignoreCase: true, out var policy) && Enum.IsDefined(policy) && !int.TryParse(value, out _)
            ? policy
            : throw new ArgumentException($"Memory policy '{value}' is not one of keep, release: keep holds every network in memory; release frees the text encoder after encoding and loads the VAE encoder only for img2img.");

    /// <summary>The lower-case name ("keep", "release"), as run files and the command line spell it.</summary>
    public static string Name(this MemoryPolicy policy) => policy.ToString().ToLowerInvariant();
}
