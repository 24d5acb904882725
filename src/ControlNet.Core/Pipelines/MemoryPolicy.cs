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
    /// Each network is in memory only for its phase of a generation: the text encoder while the prompts are encoded, the
    /// U-Net and the ControlNets in use while denoising, the VAE decoder while decoding, the VAE encoder while an img2img
    /// or inpainting image is encoded. Loading checks every file's names and shapes (the same errors as Keep) but reads no
    /// weights; each phase reads its networks from the model files (the page cache, after the first time) and frees them
    /// when it ends. The peak is the largest phase's — the U-Net with its ControlNets — instead of every network together
    /// (a one-shot <c>controlnet generate</c>). The weights come back bit for bit. A generation with LoRAs reads every
    /// network before merging them.
    /// </summary>
    Release,
}

/// <summary>The one place the policy's names are read ("keep", "release").</summary>
public static class MemoryPolicies
{
    public static MemoryPolicy Parse(string value) =>
        Enum.TryParse<MemoryPolicy>(value?.Trim(), ignoreCase: true, out var policy) && Enum.IsDefined(policy) && !int.TryParse(value, out _)
            ? policy
            : throw new ArgumentException($"Memory policy '{value}' is not one of keep, release: keep holds every network in memory; release reads each network only for its phase of a generation (lowest memory).");

    /// <summary>The lower-case name ("keep", "release"), as run files and the command line spell it.</summary>
    public static string Name(this MemoryPolicy policy) => policy.ToString().ToLowerInvariant();
}
