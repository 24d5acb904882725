using ControlNet.Abstractions;
using ControlNet.Checkpoints;
using NuGet.Common;
using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Packaging.Signing;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;

namespace ControlNet.Hosting.Packages;

/// <summary>What to install: a package id, optionally a version, and the trust decision for packages outside the allow-list.</summary>
public sealed record PluginInstallRequest(string Id, NuGetVersion? Version = null, bool Trust = false, bool Prerelease = false);

/// <summary>An install or update that happened (or found nothing newer: <see cref="Changed"/> false).</summary>
public sealed record PluginInstallResult(string Id, NuGetVersion Version, NuGetVersion? PreviousVersion, string Source, string Folder, bool Changed);

/// <summary>
/// Installs condition plug-in packages from NuGet feeds into <see cref="PluginHome.Plugins"/>: resolve the version over
/// the sources, check trust, download, check the package (manifest, contract) before anything is extracted,
/// extract into a staging folder beside the final one and swap it in whole (<see cref="AtomicFile.WriteFolder"/>), then record it in <see cref="PluginHome.InstalledFile"/>.
/// Afterwards the plug-in loads like a built-in (<see cref="Plugins.PluginCatalog.CreateDefault"/> scans the folder).
/// </summary>
public sealed class PluginInstaller(PluginHome home, IReadOnlyList<PackageSource> sources)
{
    readonly InstalledPluginRegistry _registry = new(home.InstalledFile);

    public PluginHome Home { get; } = home;
    public IReadOnlyList<PackageSource> Sources { get; } = sources;
    public InstalledPluginRegistry Registry => _registry;

    public async Task<PluginInstallResult> InstallAsync(PluginInstallRequest request, CancellationToken cancellationToken = default)
    {
        if (!PackageIdValidator.IsValidPackageId(request.Id))
            throw new ArgumentException($"'{request.Id}' is not a valid NuGet package id. Write e.g. Acme.Sobel or Acme.Sobel@1.2.0.");
        var trust = PluginTrustSettings.Load(Home.SettingsFile);
        CheckTrusted(request.Id, request.Trust, trust);

        var (source, version) = await FindAsync(request.Id, request.Version, request.Prerelease, cancellationToken);
        var previous = _registry.Find(request.Id);

        RemoveStale();
        Directory.CreateDirectory(Home.Staging);
        var nupkg = AtomicFile.TemporaryPath(Path.Combine(Home.Staging, request.Id + ".nupkg"));
        try
        {
            await DownloadAsync(source, request.Id, version, nupkg, cancellationToken);
            using var reader = new PackageArchiveReader(nupkg);
            var info = PluginPackageInspector.Inspect(reader, request.Id);
            if (trust.RequireSignedPackages) await CheckSignedAsync(reader, info, cancellationToken);
            // Extracted beside the final folder and swapped in whole: a host scanning plugins/ (which skips dot folders)
            // or a kill at any moment sees the old version or the new one, never a half-extracted folder.
            var folder = Home.PluginFolder(info.Manifest.Assembly);
            Directory.CreateDirectory(Home.Plugins);
            AtomicFile.WriteFolder(folder, staging => Extract(reader, info, staging, cancellationToken));
            _registry.Upsert(new InstalledPlugin(info.Manifest.Assembly, info.Version.ToNormalizedString(), source.Source, info.Contract.ToString(2), DateTimeOffset.UtcNow));
            return new PluginInstallResult(info.Manifest.Assembly, info.Version,
                previous is null ? null : NuGetVersion.Parse(previous.Version), source.Source, folder, Changed: true);
        }
        finally
        {
            if (File.Exists(nupkg)) File.Delete(nupkg);
        }
    }

    /// <summary>Cleans what killed installs left: temporary downloads and folders, and an old plug-in folder moved aside but not replaced (put back).</summary>
    void RemoveStale()
    {
        AtomicFile.RemoveStale(Home.Staging);
        AtomicFile.RemoveStale(Home.Plugins);
    }

    /// <summary>Updates <paramref name="id"/> (or every installed package) to the newest version at its recorded source, or at the installer's sources when it has been given one explicitly.</summary>
    public async Task<IReadOnlyList<PluginInstallResult>> UpdateAsync(string? id, bool useRecordedSource, bool trust, bool prerelease, CancellationToken cancellationToken = default)
    {
        var installed = _registry.Load();
        var targets = id is null ? installed
            : [installed.FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.OrdinalIgnoreCase))
               ?? throw new InvalidOperationException($"Plug-in package '{id}' is not installed. Installed: {Names(installed)}. Install it with 'controlnet plugins install {id}'.")];
        var results = new List<PluginInstallResult>();
        foreach (var p in targets)
        {
            var installer = useRecordedSource ? new PluginInstaller(Home, [new PackageSource(p.Source)]) : this;
            var current = NuGetVersion.Parse(p.Version);
            var (source, latest) = await installer.FindAsync(p.Id, null, prerelease || current.IsPrerelease, cancellationToken);
            if (latest <= current)
            {
                results.Add(new PluginInstallResult(p.Id, current, current, source.Source, Home.PluginFolder(p.Id), Changed: false));
                continue;
            }
            results.Add(await installer.InstallAsync(new PluginInstallRequest(p.Id, latest, trust, prerelease), cancellationToken));
        }
        return results;
    }

    /// <summary>Deletes the plug-in folder of <paramref name="id"/> and its record; returns the removed record, if there was one.</summary>
    public InstalledPlugin? Remove(string id)
    {
        var record = _registry.Find(id);
        var folder = Home.PluginFolder(record?.Id ?? id);
        if (record is null && !Directory.Exists(folder))
            throw new InvalidOperationException($"Plug-in package '{id}' is not installed in {Home.Plugins}. Installed: {Names(_registry.Load())}.");
        if (Directory.Exists(folder))
        {
            // Move out of plugins/ first so a host never scans a half-deleted folder.
            RemoveStale();
            Directory.CreateDirectory(Home.Staging);
            var trash = AtomicFile.TemporaryPath(Path.Combine(Home.Staging, Path.GetFileName(folder)));
            Directory.Move(folder, trash);
            Directory.Delete(trash, recursive: true);
        }
        if (record is not null) _registry.Remove(record.Id);
        return record;
    }

    static string Names(IReadOnlyList<InstalledPlugin> installed) =>
        installed.Count == 0 ? "none" : string.Join(", ", installed.Select(p => $"{p.Id} {p.Version}"));

    void CheckTrusted(string id, bool trustGiven, PluginTrustSettings trust)
    {
        if (trustGiven || trust.IsTrusted(id)) return;
        throw new UntrustedPluginException(
            $"Package '{id}' is not in the trusted plug-in packages ({(trust.TrustedPackages.Count == 0 ? "none" : string.Join(", ", trust.TrustedPackages))}; " +
            $"'plugins.trustedPackages' in {Home.SettingsFile}). A plug-in runs its code inside the host: review it, then pass --trust, " +
            $"or add \"{id}\" (or a prefix such as \"{id.Split('.')[0]}.*\") to plugins.trustedPackages.");
    }

    /// <summary>The source and version to install: <paramref name="version"/> if given, else the newest (stable unless <paramref name="prerelease"/>) over all sources; the first source wins a tie.</summary>
    async Task<(PackageSource Source, NuGetVersion Version)> FindAsync(string id, NuGetVersion? version, bool prerelease, CancellationToken ct)
    {
        using var cache = new SourceCacheContext { NoCache = true };
        var errors = new List<string>();
        (PackageSource Source, NuGetVersion Version)? best = null;
        var seen = new List<NuGetVersion>();
        foreach (var source in Sources)
        {
            IEnumerable<NuGetVersion> versions;
            try
            {
                var finder = await FinderAsync(source, ct);
                versions = await finder.GetAllVersionsAsync(id, cache, NullLogger.Instance, ct);
            }
            catch (Exception e) when (e is FatalProtocolException or HttpRequestException or IOException or UnauthorizedAccessException)
            {
                errors.Add($"{source.Source}: {e.Message}");
                continue;
            }
            seen.AddRange(versions);
            var pick = version is not null ? versions.FirstOrDefault(v => v == version)
                : versions.Where(v => prerelease || !v.IsPrerelease).DefaultIfEmpty().Max();
            if (pick is not null && (best is null || pick > best.Value.Version)) best = (source, pick);
        }
        if (best is { } found) return found;

        string where = string.Join(", ", Sources.Select(s => s.Source));
        string errorText = errors.Count > 0 ? $" Sources that failed: {string.Join("; ", errors)}." : "";
        if (seen.Count == 0)
            throw new InvalidOperationException($"Package '{id}' was not found in {where}.{errorText} Check the id, or pass --source with the feed or folder that has it.");
        var available = string.Join(", ", seen.Distinct().OrderDescending().Take(10).Select(v => v.ToNormalizedString()));
        throw new InvalidOperationException(version is not null
            ? $"Package '{id}' has no version {version.ToNormalizedString()} in {where}; available: {available}.{errorText}"
            : $"Package '{id}' has only prerelease versions in {where} ({available}); pass --prerelease or name one with {id}@VERSION.{errorText}");
    }

    static async Task<FindPackageByIdResource> FinderAsync(PackageSource source, CancellationToken ct) =>
        await Repository.Factory.GetCoreV3(source).GetResourceAsync<FindPackageByIdResource>(ct)
        ?? throw new FatalProtocolException($"'{source.Source}' is not a NuGet feed (no package lookup by id).");

    static async Task DownloadAsync(PackageSource source, string id, NuGetVersion version, string path, CancellationToken ct)
    {
        using var cache = new SourceCacheContext { NoCache = true };
        var finder = await FinderAsync(source, ct);
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        if (!await finder.CopyNupkgToStreamAsync(id, version, file, cache, NullLogger.Instance, ct))
            throw new InvalidOperationException($"Package '{id}' {version.ToNormalizedString()} could not be downloaded from {source.Source}. Try again, or pass another --source.");
    }

    async Task CheckSignedAsync(PackageArchiveReader reader, PluginPackageInfo info, CancellationToken ct)
    {
        string name = $"{info.Id} {info.Version.ToNormalizedString()}";
        if (!await reader.IsSignedAsync(ct))
            throw new UntrustedPluginException(
                $"{name} is not signed, and {Home.SettingsFile} requires signed plug-in packages (plugins.requireSignedPackages). Install a signed package, or turn the requirement off.");
        var verifier = new PackageSignatureVerifier([new IntegrityVerificationProvider(), new SignatureTrustAndValidityVerificationProvider()]);
        var result = await verifier.VerifySignaturesAsync(reader, SignedPackageVerifierSettings.GetVerifyCommandDefaultPolicy(), ct, Guid.NewGuid());
        if (!result.IsValid)
        {
            var issues = result.Results.SelectMany(r => r.GetErrorIssues()).Select(i => i.Message).Distinct();
            throw new UntrustedPluginException($"{name}: its signature is not valid ({string.Join("; ", issues)}). Nothing was installed.");
        }
    }

    /// <summary>Writes the package's controlnet-plugin/ files into <paramref name="staging"/>, refusing any path that would leave it.</summary>
    static void Extract(PackageArchiveReader reader, PluginPackageInfo info, string staging, CancellationToken ct)
    {
        var root = Path.GetFullPath(staging) + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(root);
        foreach (var file in info.Files)
        {
            ct.ThrowIfCancellationRequested();
            var relative = file[(PluginPackageManifest.ContentFolder.Length + 1)..];
            var target = Path.GetFullPath(Path.Combine(root, relative));
            if (!target.StartsWith(root, StringComparison.Ordinal))
                throw new InvalidDataException($"{info.Id} {info.Version}: entry '{file}' points outside the plug-in folder. The package is malformed; nothing was installed.");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var input = reader.GetStream(file);
            using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
            input.CopyTo(output);
        }
    }
}
