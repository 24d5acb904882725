namespace ControlNet.Abstractions;

/// <summary>A weight file a preprocessor needs, with where to get it.</summary>
/// <param name="Name">File name as the preprocessor looks for it, e.g. "body_pose_model.pth".</param>
/// <param name="SizeBytes">Expected size, or null when not known.</param>
/// <param name="Url">Where to download it from.</param>
/// <param name="Sha256">Lower-case hex digest, or null when not pinned.</param>
public sealed record ModelFile(string Name, long? SizeBytes, Uri? Url, string? Sha256 = null);
