using System.Text.RegularExpressions;
using System.Xml.Linq;
using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;

namespace ControlNet.IntegrationTests;

/// <summary>
/// The third-party path of issue 9, offline: pack the contract and the template pack into a folder feed,
/// `dotnet new install` the pack into a private hive, `dotnet new controlnet-plugin`, `dotnet pack` the plug-in
/// (restoring only from the feed and the machine's package cache), then `controlnet plugins install/list`,
/// `controlnet preprocess sobel` and `plugins remove` with a private CONTROLNET_HOME.
/// </summary>
public sealed class TemplatePluginEndToEndTests : IDisposable
{
    readonly OfflineTemplateWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    static void Ok(ProcessResult r, string what) => OfflineTemplateWorkspace.Ok(r, what);

    [Fact]
    public void Template_plugin_packs_installs_from_a_folder_feed_lists_and_preprocesses()
    {
        string feed = _ws.Feed, work = _ws.Work, packages = _ws.Dir("packages"), home = _ws.Dir("home");

        // The CLI under test, built once (incremental after `dotnet test Sdk.sln`).
        Ok(ProcessRunner.Run("dotnet", "build src/ControlNet.Cli/ControlNet.Cli.csproj -nodeReuse:false"), "build CLI");
        var cli = Path.Combine(RepoPaths.Root, "src/ControlNet.Cli/bin/Debug/net10.0/controlnet.dll");
        Assert.True(File.Exists(cli), cli);

        // 1. The feed: the contract package (with the packing targets) and the template pack.
        _ws.Pack("src/ControlNet.Abstractions/ControlNet.Abstractions.csproj");
        // 2. dotnet new, in a private hive so the user's templates are untouched.
        _ws.InstallTemplates();
        _ws.New("controlnet-plugin", "-n Acme.Sobel --condition-id sobel");
        var project = Path.Combine(work, "Acme.Sobel/src/Acme.Sobel/Acme.Sobel.csproj");
        Assert.True(File.Exists(project), "the template did not create " + project);
        Assert.Contains("public override string Id => \"sobel\";", File.ReadAllText(Path.Combine(work, "Acme.Sobel/src/Acme.Sobel/SobelPlugin.cs")));

        // 3. dotnet pack with only the feed and the machine's package cache as sources: no network.
        _ws.WriteNuGetConfig();
        Ok(ProcessRunner.Run("dotnet", $"pack \"{project}\" -o \"{packages}\" -nodeReuse:false", work, _ws.Environment), "dotnet pack plug-in");
        Assert.Single(Directory.GetFiles(packages, "Acme.Sobel.1.0.0.nupkg"));

        // 4. The host: install (trust asked for first), list, preprocess, remove.
        var env = new Dictionary<string, string> { ["CONTROLNET_HOME"] = home };
        ProcessResult Cli(string args) => ProcessRunner.Run("dotnet", $"\"{cli}\" {args}", work, env, timeoutSeconds: 120);

        var untrusted = Cli($"plugins install Acme.Sobel --source \"{packages}\"");
        Assert.Equal(1, untrusted.ExitCode);
        Assert.Contains("--trust", untrusted.StdErr);

        var install = Cli($"plugins install Acme.Sobel --source \"{packages}\" --trust");
        Ok(install, "plugins install");
        Assert.Contains("Installed Acme.Sobel 1.0.0", install.StdOut);
        Assert.True(File.Exists(Path.Combine(home, "plugins/Acme.Sobel/Acme.Sobel.dll")));
        Assert.False(File.Exists(Path.Combine(home, "plugins/Acme.Sobel/ControlNet.Abstractions.dll")), "the shared contract must not be packed");

        var list = Cli("plugins list");
        Ok(list, "plugins list");
        Assert.Matches(new Regex(@"^sobel\s+Sobel edges", RegexOptions.Multiline), list.StdOut);
        Assert.Contains($"package: Acme.Sobel 1.0.0 from {packages}", list.StdOut);
        Assert.Contains("--option threshold=<int>  default 32", list.StdOut);

        // A white square on black: edges along its border, nothing inside or far outside.
        const int n = 64;
        var rgb = new byte[n * n * 3];
        for (int y = 16; y < 48; y++)
            for (int x = 16; x < 48; x++)
                rgb[(y * n + x) * 3] = rgb[(y * n + x) * 3 + 1] = rgb[(y * n + x) * 3 + 2] = 255;
        ImageFile.SavePng(ConditionImage.Rgb(n, n, rgb), Path.Combine(work, "in.png"));
        Ok(Cli("preprocess sobel in.png out.png"), "preprocess sobel");
        var map = ImageFile.LoadRgb(Path.Combine(work, "out.png"));
        Assert.Equal((n, n), (map.Width, map.Height));
        byte At(int x, int y) => map.Data![(y * n + x) * 3];
        foreach (var (x, y) in new[] { (16, 32), (15, 32), (47, 32), (32, 16), (32, 47) }) Assert.Equal(255, At(x, y));
        foreach (var (x, y) in new[] { (32, 32), (24, 40), (4, 4), (60, 60) }) Assert.Equal(0, At(x, y));

        Ok(Cli("plugins remove Acme.Sobel"), "plugins remove");
        var after = Cli("preprocess sobel in.png out2.png");
        Assert.Equal(2, after.ExitCode);
        Assert.Contains("No preprocessor 'sobel'", after.StdErr);
    }

    [Theory]
    [InlineData("controlnet-plugin")]
    [InlineData("controlnet-app")]
    public void Template_builds_against_the_repository_version_of_the_sdk_packages(string templateFolder)
    {
        var repoVersion = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Build.props")).Descendants("Version").First().Value;
        var template = File.ReadAllText(Path.Combine(RepoPaths.Root, $"templates/ControlNet.Templates/content/{templateFolder}/.template.config/template.json"));
        Assert.Matches(new Regex("\"controlnet-version\"[^}]*\"defaultValue\":\\s*\"" + Regex.Escape(repoVersion) + "\""), template);
    }
}
