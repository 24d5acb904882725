namespace ControlNet.Abstractions;

/// <summary>A ControlNet checkpoint trained on a condition type.</summary>
/// <param name="Name">The checkpoint's name, e.g. "control_v11p_sd15_canny" or a diffusers repository id "lllyasviel/sd-controlnet-canny".</param>
/// <param name="Source">Where it is published, e.g. "huggingface.co/lllyasviel/ControlNet-v1-1".</param>
/// <param name="GlobalAveragePooling">The checkpoint averages each control residual spatially (REFERENCE §2.3; only shuffle).</param>
public sealed record PairedCheckpoint(string Name, string Source, bool GlobalAveragePooling = false);
