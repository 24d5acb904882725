namespace ControlNet.IntegrationTests;

/// <summary>
/// The SDK's packages, packed once per test run into a folder feed that the package tests copy from: one `dotnet pack`
/// of a solution filter (shared dependencies evaluated and built once), instead of one pack per test.
/// </summary>
internal static class SdkFeed
{
    public static readonly string[] Projects =
    [
        "src/ControlNet.Abstractions/ControlNet.Abstractions.csproj",
        "src/ControlNet.Core/ControlNet.Core.csproj",
        "src/ControlNet.Hosting/ControlNet.Hosting.csproj",
        "plugins/ControlNet.Conditions.Canny/ControlNet.Conditions.Canny.csproj",
        "templates/ControlNet.Templates/ControlNet.Templates.csproj",
    ];

    static readonly Lazy<string> Packed = new(Pack);

    /// <summary>The folder holding the packed .nupkg files (packed on first use).</summary>
    public static string Folder => Packed.Value;

    static string Pack()
    {
        var root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "controlnet-sdk-feed-" + Guid.NewGuid().ToString("N"))).FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(root, recursive: true); }
            catch (IOException) { }   // in temp: left for the system to clean
        };
        var feed = Directory.CreateDirectory(Path.Combine(root, "feed")).FullName;
        var filter = Path.Combine(root, "feed.slnf");
        File.WriteAllText(filter, $$"""
            { "solution": { "path": "{{Path.Combine(RepoPaths.Root, "Sdk.sln")}}", "projects": [ {{string.Join(", ", Projects.Select(p => $"\"{p}\""))}} ] } }
            """);
        var r = ProcessRunner.Run("dotnet", $"pack \"{filter}\" -o \"{feed}\" -nodeReuse:false");
        Assert.True(r.ExitCode == 0, $"dotnet pack of the SDK failed ({r.ExitCode}):\n{r.All}");
        return feed;
    }
}
