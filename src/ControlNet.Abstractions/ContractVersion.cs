namespace ControlNet.Abstractions;

/// <summary>
/// Version of the plug-in contract. A host accepts a plug-in whose contract has the same major
/// version and a minor version no newer than the host's.
/// </summary>
/// <remarks>
/// A plug-in reports the version it was compiled against with <c>new Version(ContractVersion.Major, ContractVersion.Minor)</c>:
/// the constants are copied into the plug-in at compile time, whereas <see cref="Current"/> is read from the
/// host's copy of this assembly at run time.
/// </remarks>
public static class ContractVersion
{
    public const int Major = 1;
    public const int Minor = 2;
    public static Version Current { get; } = new(Major, Minor);

    /// <summary>True when a host on <see cref="Current"/> can run a plug-in built against <paramref name="pluginVersion"/>.</summary>
    public static bool IsCompatible(Version pluginVersion) =>
        pluginVersion.Major == Major && pluginVersion.Minor <= Minor;
}
