using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using ControlNet.Abstractions;
using NuGet.Packaging;
using NuGet.Versioning;

namespace ControlNet.Hosting.Packages;

/// <summary>What a plug-in package holds, read from the .nupkg before anything is extracted.</summary>
public sealed record PluginPackageInfo(string Id, NuGetVersion Version, PluginPackageManifest Manifest, Version Contract, IReadOnlyList<string> Files);

/// <summary>
/// Checks a downloaded package before it is extracted: it is a ControlNet plug-in package (manifest and
/// <c>controlnet-plugin/&lt;Assembly&gt;.dll</c>), its id matches the request, and its contract is one this host runs —
/// both as declared in the manifest and as compiled into the assembly's reference to ControlNet.Abstractions.
/// </summary>
public static class PluginPackageInspector
{
    public static PluginPackageInfo Inspect(PackageArchiveReader reader, string requestedId)
    {
        var identity = reader.GetIdentity();
        string name = $"{identity.Id} {identity.Version.ToNormalizedString()}";
        if (!string.Equals(identity.Id, requestedId, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"Package file for '{requestedId}' is package '{identity.Id}'. The feed is inconsistent; check the source.");

        var files = reader.GetFiles().Select(f => f.Replace('\\', '/')).ToArray();
        if (!files.Contains(PluginPackageManifest.FileName))
            throw new InvalidDataException(
                $"{name} is not a ControlNet plug-in package: it has no {PluginPackageManifest.FileName}. Plug-in packages are built with " +
                $"<ControlNetPlugin>true</ControlNetPlugin> and a ControlNet.Abstractions package reference (dotnet new controlnet-plugin); see docs/plugins.md.");
        string json;
        using (var s = new StreamReader(reader.GetStream(PluginPackageManifest.FileName))) json = s.ReadToEnd();
        var manifest = PluginPackageManifest.Parse(json, name);

        if (!string.Equals(manifest.Assembly, identity.Id, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{name}: its manifest names assembly '{manifest.Assembly}', but the host loads plugins/<id>/<id>.dll. Repack with <PackageId> equal to <AssemblyName>.");

        // Contract first, before any file is written: a plug-in for another contract would only fail later at load.
        var contract = manifest.ContractVersion;
        if (!ContractVersion.IsCompatible(contract))
            throw new IncompatiblePluginException(
                $"{name} targets plug-in contract {contract.ToString(2)}, but this host has contract {ContractVersion.Current.ToString(2)} " +
                $"(it runs plug-ins built for {ContractVersion.Major}.0–{ContractVersion.Major}.{ContractVersion.Minor}). Nothing was installed. " +
                $"Install a version of {identity.Id} built for contract {ContractVersion.Major}.x (controlnet plugins install {identity.Id}@VERSION), or update the host.");

        string assemblyPath = $"{PluginPackageManifest.ContentFolder}/{manifest.Assembly}.dll";
        var actualAssemblyPath = files.FirstOrDefault(f => string.Equals(f, assemblyPath, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidDataException($"{name}: '{assemblyPath}' is missing from the package. Repack the plug-in (dotnet pack).");
        var compiled = ReadContractReference(reader, actualAssemblyPath, name);
        if (compiled != contract)
            throw new InvalidDataException(
                $"{name}: its manifest declares contract {contract.ToString(2)} but {manifest.Assembly}.dll was compiled against ControlNet.Abstractions {compiled.ToString(2)}. Repack the plug-in.");

        var content = files.Where(f => f.StartsWith(PluginPackageManifest.ContentFolder + "/", StringComparison.Ordinal)).ToArray();
        return new PluginPackageInfo(identity.Id, identity.Version, manifest with { Assembly = Path.GetFileNameWithoutExtension(actualAssemblyPath) }, contract, content);
    }

    /// <summary>The Major.Minor of the assembly's reference to ControlNet.Abstractions, read from its metadata in memory.</summary>
    static Version ReadContractReference(PackageArchiveReader reader, string path, string name)
    {
        using var buffer = new MemoryStream();
        using (var s = reader.GetStream(path)) s.CopyTo(buffer);
        buffer.Position = 0;
        try
        {
            using var pe = new PEReader(buffer);
            var md = pe.GetMetadataReader();
            foreach (var h in md.AssemblyReferences)
            {
                var r = md.GetAssemblyReference(h);
                if (md.GetString(r.Name) == ContractReference.AssemblyName) return new Version(r.Version.Major, r.Version.Minor);
            }
        }
        catch (BadImageFormatException e)
        {
            throw new InvalidDataException($"{name}: '{path}' is not a .NET assembly ({e.Message}). Repack the plug-in.", e);
        }
        throw new InvalidDataException($"{name}: '{path}' does not reference {ContractReference.AssemblyName}, so it holds no condition plug-in. Repack the plug-in.");
    }
}

/// <summary>The package targets a plug-in contract this host cannot run.</summary>
public sealed class IncompatiblePluginException(string message) : InvalidOperationException(message);

/// <summary>The package is outside the trusted packages and --trust was not given (or signatures are required and missing).</summary>
public sealed class UntrustedPluginException(string message) : InvalidOperationException(message);
