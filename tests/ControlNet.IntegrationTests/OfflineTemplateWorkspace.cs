namespace ControlNet.IntegrationTests;

/// <summary>
/// A throw-away folder for the template tests, offline: a folder feed the SDK packages are packed into, a private
/// `dotnet new` hive, a work folder whose nuget.config lists only the feed and the machine's package cache, and a fresh
/// NUGET_PACKAGES (nothing stale from earlier runs: the feed's versions never change between runs).
/// </summary>
internal sealed class OfflineTemplateWorkspace : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "controlnet-template-e2e-" + Guid.NewGuid().ToString("N"));

    public OfflineTemplateWorkspace()
    {
        Feed = Dir("feed");
        Hive = Dir("hive");
        Work = Dir("work");
        Environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = Dir("nuget-packages"),
            ["MSBUILDDISABLENODEREUSE"] = "1",
        };
    }

    public string Feed { get; }
    public string Hive { get; }
    public string Work { get; }
    /// <summary>For dotnet build/pack of generated projects: the private package folder, no build server.</summary>
    public IDictionary<string, string> Environment { get; }

    public string Dir(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    public static void Ok(ProcessResult r, string what) => Assert.True(r.ExitCode == 0, $"{what} failed ({r.ExitCode}):\n{r.All}");

    /// <summary>
    /// Puts the packages of repository projects (csproj paths relative to the root) and the template pack into this
    /// workspace's feed: copies of <see cref="SdkFeed"/>, which packs them once per test run.
    /// </summary>
    public void Pack(params string[] projects)
    {
        foreach (var p in projects)
            Assert.True(SdkFeed.Projects.Contains(p), $"{p} is not among the packed projects; add it to SdkFeed.Projects.");
        foreach (var package in Directory.GetFiles(SdkFeed.Folder, "*.nupkg"))
            File.Copy(package, Path.Combine(Feed, Path.GetFileName(package)), overwrite: true);
    }

    /// <summary>Installs the packed template pack (see <see cref="Pack"/>) into the private hive.</summary>
    public void InstallTemplates()
    {
        var templatePack = Assert.Single(Directory.GetFiles(Feed, "ControlNet.Templates.*.nupkg"));
        Ok(ProcessRunner.Run("dotnet", $"new install \"{templatePack}\" --debug:custom-hive \"{Hive}\"", Work), "dotnet new install");
    }

    /// <summary>`dotnet new TEMPLATE ARGS` in the work folder, from the private hive.</summary>
    public void New(string template, string arguments) =>
        Ok(ProcessRunner.Run("dotnet", $"new {template} {arguments} --no-update-check --debug:custom-hive \"{Hive}\"", Work), "dotnet new " + template);

    /// <summary>Restores in the work folder come only from the feed and the machine's package cache: no network.</summary>
    public void WriteNuGetConfig() => File.WriteAllText(Path.Combine(Work, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="feed" value="{Feed}" />
            <add key="machine-cache" value="{MachinePackageCache()}" />
          </packageSources>
        </configuration>
        """);

    /// <summary>The global packages folder this machine restored the repository into (NUGET_PACKAGES or ~/.nuget/packages).</summary>
    static string MachinePackageCache()
    {
        var fromEnv = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        var path = !string.IsNullOrEmpty(fromEnv) ? fromEnv
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        Assert.True(Directory.Exists(Path.Combine(path, "torchsharp")), $"The package cache '{path}' has no TorchSharp; restore the repository (dotnet restore Sdk.sln) first.");
        return path;
    }

    public void Dispose()
    {
        try { if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true); }
        catch (IOException) { } // a build server may still hold a file; the folder is in temp
    }
}
