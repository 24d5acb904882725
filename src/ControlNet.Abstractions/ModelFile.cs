using System.Globalization;

namespace ControlNet.Abstractions;

/// <summary>A weight file a preprocessor needs, with where to get it.</summary>
/// <param name="Name">File name as the preprocessor looks for it, e.g. "body_pose_model.pth".</param>
/// <param name="SizeBytes">Expected size, or null when not known.</param>
/// <param name="Url">Where to download it from.</param>
/// <param name="Sha256">Lower-case hex digest, or null when not pinned.</param>
public sealed record ModelFile(string Name, long? SizeBytes, Uri? Url, string? Sha256 = null)
{
    /// <summary>The public repository of ControlNet's annotator weights.</summary>
    public const string AnnotatorsRepo = "lllyasviel/Annotators";

    /// <summary>A file of <see cref="AnnotatorsRepo"/>, with its download URL.</summary>
    public static ModelFile Annotator(string name, long sizeBytes) =>
        new(name, sizeBytes, new Uri($"https://huggingface.co/{AnnotatorsRepo}/resolve/main/{name}"));

    /// <summary>"ControlNetHED.pth (29.4 MB, https://…)" for messages.</summary>
    public string Describe()
    {
        var size = SizeBytes is { } n ? string.Create(CultureInfo.InvariantCulture, $"{n / 1e6:0.0} MB") : null;
        var details = string.Join(", ", new[] { size, Url?.ToString() }.Where(s => s is not null));
        return details.Length == 0 ? Name : $"{Name} ({details})";
    }
}
