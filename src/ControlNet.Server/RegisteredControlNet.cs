namespace ControlNet.Server;

/// <summary>
/// A ControlNet the server loaded: clients name it by <see cref="Name"/> or <see cref="Title"/> ("name [hash]", the
/// extension's form), never by path.
/// </summary>
/// <param name="Name">File name without extension (or the hub id's last part); also its pipeline key.</param>
/// <param name="Hash">A1111's short model hash (first 8 hex digits of SHA-256 over 64 KiB at offset 1 MiB), empty for hub ids.</param>
/// <param name="Type">The condition plug-in id its maps come from (canny, depth, …).</param>
/// <param name="Model">The weights: a local file or folder, or a hub id (server side only).</param>
public sealed record RegisteredControlNet(string Name, string Hash, string Type, string Model)
{
    public string Title => Hash.Length == 0 ? Name : $"{Name} [{Hash}]";
}
