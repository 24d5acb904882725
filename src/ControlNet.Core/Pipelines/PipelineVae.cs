namespace ControlNet.Pipelines;

/// <summary>
/// The <c>--vae</c> / <see cref="PipelineOptions.Vae"/> and <c>--preview</c> / <see cref="PipelineOptions.Preview"/> value:
/// <c>taesd:PATH</c> names the TAESD tiny autoencoder (a folder with <c>taesd_decoder.safetensors</c>, or that file).
/// The one place the syntax is parsed.
/// </summary>
public sealed record PipelineVae(string? TinyAutoencoderPath, string? Error)
{
    public const string TaesdPrefix = "taesd:";

    /// <param name="value">the option's value</param>
    /// <param name="option">the option's name in the error ("Vae" or "Preview")</param>
    public static PipelineVae Parse(string value, string option = "Vae")
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.StartsWith(TaesdPrefix, StringComparison.OrdinalIgnoreCase) && value.Length > TaesdPrefix.Length)
            return new PipelineVae(value[TaesdPrefix.Length..], null);
        var otherwise = option == "Vae" ? "Leave it out to use the model's own VAE." : "Leave it out for the cheap linear preview.";
        return new PipelineVae(null, $"{option} is '{value}'; expected taesd:FOLDER, the folder holding taesd_decoder.safetensors (and optionally taesd_encoder.safetensors) from madebyollin/taesd. {otherwise}");
    }

    /// <summary><paramref name="value"/> with its path made absolute against <paramref name="baseFolder"/>; other values unchanged (validation reports them).</summary>
    public static string Resolve(string value, string baseFolder) =>
        Parse(value) is { TinyAutoencoderPath: { } path } ? TaesdPrefix + Path.GetFullPath(path, baseFolder) : value;
}
