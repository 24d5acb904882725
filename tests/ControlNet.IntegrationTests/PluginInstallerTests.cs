using ControlNet.Hosting.Packages;
using NuGet.Configuration;
using NuGet.Versioning;

namespace ControlNet.IntegrationTests;

/// <summary>The installer against a folder feed of fake packages, with a private home folder: contract, trust, layout, update, remove.</summary>
public sealed class PluginInstallerTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "controlnet-installer-" + Guid.NewGuid().ToString("N"));
    readonly string _feed;
    readonly PluginHome _home;

    public PluginInstallerTests()
    {
        _feed = Path.Combine(_root, "feed");
        _home = new PluginHome(Path.Combine(_root, "home"));
        Directory.CreateDirectory(_feed);
    }

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true); }

    PluginInstaller Installer() => new(_home, [new PackageSource(_feed)]);

    void TrustAcme(bool requireSigned = false) =>
        File.WriteAllText(Directory.CreateDirectory(_home.Root).FullName + "/settings.json",
            $$"""{ "plugins": { "trustedPackages": ["Acme.*"], "requireSignedPackages": {{(requireSigned ? "true" : "false")}} } }""");

    void AssertNothingInstalled(string id)
    {
        Assert.False(Directory.Exists(_home.PluginFolder(id)), "plug-in folder was created");
        Assert.Empty(new InstalledPluginRegistry(_home.InstalledFile).Load());
        Assert.True(!Directory.Exists(_home.Staging) || Directory.GetFileSystemEntries(_home.Staging).Length == 0, "staging not cleaned");
    }

    [Fact]
    public async Task Package_for_a_newer_contract_is_refused_before_extraction_naming_both_versions()
    {
        FakePluginPackages.Write(_feed, "Acme.Future", "2.0.0", manifestContract: "2.0");
        var e = await Assert.ThrowsAsync<IncompatiblePluginException>(() =>
            Installer().InstallAsync(new PluginInstallRequest("Acme.Future", Trust: true)));
        Assert.Contains("targets plug-in contract 2.0", e.Message);
        Assert.Contains($"this host has contract {ControlNet.Abstractions.ContractVersion.Major}.{ControlNet.Abstractions.ContractVersion.Minor}", e.Message);
        Assert.Contains("Nothing was installed", e.Message);
        AssertNothingInstalled("Acme.Future");
    }

    [Fact]
    public async Task Manifest_that_disagrees_with_the_compiled_reference_is_refused()
    {
        FakePluginPackages.Write(_feed, "Acme.Liar", "1.0.0", manifestContract: "1.0", compiledContract: new Version(2, 0));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Installer().InstallAsync(new PluginInstallRequest("Acme.Liar", Trust: true)));
        Assert.Contains("compiled against ControlNet.Abstractions 2.0", e.Message);
        AssertNothingInstalled("Acme.Liar");
    }

    [Fact]
    public async Task Package_without_manifest_is_not_a_plugin_package()
    {
        FakePluginPackages.Write(_feed, "Acme.Library", "1.0.0", manifestContract: "1.0", withManifest: false);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Installer().InstallAsync(new PluginInstallRequest("Acme.Library", Trust: true)));
        Assert.Contains("not a ControlNet plug-in package", e.Message);
        AssertNothingInstalled("Acme.Library");
    }

    [Fact]
    public async Task Untrusted_package_asks_for_trust_and_installs_with_it_or_when_allow_listed()
    {
        FakePluginPackages.Write(_feed, "Acme.Sobel", "1.0.0", manifestContract: "1.0");

        var e = await Assert.ThrowsAsync<UntrustedPluginException>(() => Installer().InstallAsync(new PluginInstallRequest("Acme.Sobel")));
        Assert.Contains("--trust", e.Message);
        Assert.Contains(_home.SettingsFile, e.Message);
        AssertNothingInstalled("Acme.Sobel");

        var withTrust = await Installer().InstallAsync(new PluginInstallRequest("Acme.Sobel", Trust: true));
        Assert.Equal(NuGetVersion.Parse("1.0.0"), withTrust.Version);
        Installer().Remove("Acme.Sobel");

        TrustAcme();
        var allowListed = await Installer().InstallAsync(new PluginInstallRequest("Acme.Sobel"));
        Assert.Equal(_home.PluginFolder("Acme.Sobel"), allowListed.Folder);
    }

    [Fact]
    public async Task Signed_only_setting_refuses_unsigned_packages_even_with_trust()
    {
        TrustAcme(requireSigned: true);
        FakePluginPackages.Write(_feed, "Acme.Sobel", "1.0.0", manifestContract: "1.0");
        var e = await Assert.ThrowsAsync<UntrustedPluginException>(() => Installer().InstallAsync(new PluginInstallRequest("Acme.Sobel", Trust: true)));
        Assert.Contains("not signed", e.Message);
        AssertNothingInstalled("Acme.Sobel");
    }

    [Fact]
    public void Trust_rule_matches_exact_ids_and_dot_star_prefixes_case_insensitively()
    {
        var trust = new PluginTrustSettings(["Acme.*", "Contoso.Depth"]);
        Assert.True(trust.IsTrusted("acme.sobel"));
        Assert.True(trust.IsTrusted("Contoso.Depth"));
        Assert.False(trust.IsTrusted("Contoso.DepthPro"));
        Assert.False(trust.IsTrusted("AcmeEvil.Sobel"));
        Assert.True(PluginTrustSettings.Default.IsTrusted("ControlNet.Conditions.Canny"));
        Assert.False(PluginTrustSettings.Default.IsTrusted("Acme.Sobel"));
    }

    [Fact]
    public async Task Install_lays_out_the_folder_records_it_and_update_and_remove_follow()
    {
        TrustAcme();
        FakePluginPackages.Write(_feed, "Acme.Sobel", "1.0.0", manifestContract: "1.0");
        FakePluginPackages.Write(_feed, "Acme.Sobel", "1.1.0-beta", manifestContract: "1.0");

        var installed = await Installer().InstallAsync(new PluginInstallRequest("Acme.Sobel"));
        Assert.Equal("1.0.0", installed.Version.ToNormalizedString()); // newest stable, not the prerelease
        var folder = _home.PluginFolder("Acme.Sobel");
        Assert.True(File.Exists(Path.Combine(folder, "Acme.Sobel.dll")));
        Assert.True(File.Exists(Path.Combine(folder, "runtimes/linux-x64/native/libacme.so")));
        Assert.False(File.Exists(Path.Combine(folder, "controlnet-plugin.json")));
        var record = Assert.Single(new InstalledPluginRegistry(_home.InstalledFile).Load());
        Assert.Equal(("Acme.Sobel", "1.0.0", _feed, "1.0"), (record.Id, record.Version, record.Source, record.Contract));

        var upToDate = Assert.Single(await Installer().UpdateAsync("Acme.Sobel", useRecordedSource: true, trust: false, prerelease: false));
        Assert.False(upToDate.Changed);

        FakePluginPackages.Write(_feed, "Acme.Sobel", "1.2.0", manifestContract: "1.0");
        var updated = Assert.Single(await Installer().UpdateAsync(null, useRecordedSource: true, trust: false, prerelease: false));
        Assert.True(updated.Changed);
        Assert.Equal(("1.0.0", "1.2.0"), (updated.PreviousVersion!.ToNormalizedString(), updated.Version.ToNormalizedString()));
        Assert.Equal("1.2.0", new InstalledPluginRegistry(_home.InstalledFile).Find("acme.sobel")!.Version);

        var pinned = await Installer().InstallAsync(new PluginInstallRequest("Acme.Sobel", NuGetVersion.Parse("1.1.0-beta")));
        Assert.Equal("1.1.0-beta", pinned.Version.ToNormalizedString());

        Assert.NotNull(Installer().Remove("acme.sobel"));
        Assert.False(Directory.Exists(folder));
        Assert.Empty(new InstalledPluginRegistry(_home.InstalledFile).Load());
        Assert.Throws<InvalidOperationException>(() => Installer().Remove("Acme.Sobel"));
    }

    [Fact]
    public async Task Unknown_package_and_unknown_version_name_what_is_there()
    {
        FakePluginPackages.Write(_feed, "Acme.Sobel", "1.0.0", manifestContract: "1.0");
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => Installer().InstallAsync(new PluginInstallRequest("Acme.Nothing", Trust: true)));
        Assert.Contains("was not found", missing.Message);
        var noVersion = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Installer().InstallAsync(new PluginInstallRequest("Acme.Sobel", NuGetVersion.Parse("9.0.0"), Trust: true)));
        Assert.Contains("available: 1.0.0", noVersion.Message);
    }
}
