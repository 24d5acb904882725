namespace ControlNet.Pipelines;

/// <summary>
/// The <c>--vae</c> / <see cref="PipelineOptions.Vae"/> value: <c>taesd:PATH</c> names the TAESD tiny autoencoder (a folder
/// with <c>taesd_decoder.safetensors</c>, or that file). The one place the syntax is parsed.
/// </summary>
public sealed record PipelineVae(string? TinyAutoencoderPath, string? Error)
{
    public const string TaesdPrefix = "taesd:";

    public static PipelineVae Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.StartsWith(TaesdPrefix, StringComparison.OrdinalIgnoreCase) && value.Length > TaesdPrefix.Length)
            return new PipelineVae(value[TaesdPrefix.Length..], null);
        return new PipelineVae(null, $"Vae is '{value}'; expected taesd:FOLDER, the folder holding taesd_decoder.safetensors (and optionally taesd_encoder.safetensors) from madebyollin/taesd. Leave it out to use the model's own VAE.");
    }

    /// <summary><paramref name="value"/> with its path made absolute against <paramref name="baseFolder"/>; other values unchanged (validation reports them).</summary>
    public static string Resolve(string value, string baseFolder) =>
        Parse(value) is { TinyAutoencoderPath: { } path } ? TaesdPrefix + Path.GetFullPath(path, baseFolder) : value;
}
