namespace ControlNet.Pipelines;

/// <summary>
/// The one rule for image sizes: each side a positive multiple of the autoencoder's factor
/// (<see cref="DiffusionModel.SizeMultiple"/>: 8 for SD, 1 for a pixel-space model), as in diffusers and A1111; not of
/// 64, since the U-Net's decoder upsamples to each skip's size. The pipeline checks it against the loaded model; hosts
/// that check a request before any model is loaded (the DI options, the server) use <see cref="HostMultiple"/>.
/// </summary>
public static class ImageSize
{
    /// <summary>
    /// What a host checks before a model is loaded: SD's factor. Stricter than the pixel-space toy model's 1, whose
    /// sizes (32, 64, …) satisfy it; the pipeline applies the model's own factor again when it runs.
    /// </summary>
    public const int HostMultiple = 8;

    /// <summary>Null when <paramref name="side"/> fits, else what is wrong and the nearest size that fits ("is 106; expected …").</summary>
    public static string? Problem(long side, int multiple) =>
        side > 0 && side % multiple == 0 ? null
            : $"is {side}; expected a positive multiple of {multiple} (the autoencoder's factor), e.g. {Nearest(side, multiple)}.";

    /// <summary>The multiple of <paramref name="multiple"/> nearest to <paramref name="side"/> (at least one multiple).</summary>
    public static long Nearest(long side, int multiple) => Math.Max(multiple, (long)Math.Round((double)side / multiple) * multiple);
}
