namespace ControlNet.Abstractions;

/// <summary>
/// Version of the plug-in contract. A host accepts a plug-in whose contract has the same major
/// version and a minor version no newer than the host's.
/// </summary>
public static class ContractVersion
{
    public const int Major = 1;
    public const int Minor = 0;
    public static Version Current { get; } = new(Major, Minor);
}
