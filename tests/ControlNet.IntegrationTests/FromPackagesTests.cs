using System.Text.RegularExpressions;
using ControlNet.Hosting.Imaging;

namespace ControlNet.IntegrationTests;

/// <summary>
/// docs/cli.md's DI snippet, verbatim, from packages: the SDK packed into a folder feed, a fresh console app outside the
/// repository made with the doc's own commands (`dotnet new console`, `dotnet add package …`) restoring only from that
/// feed and the machine's package cache, its Program.cs the doc's C# block, run where a checkout's models/ and samples/
/// are, on the toy model. The built-in Canny plug-in, the libtorch runtime and the toy model's 32 px all come from the
/// packages and the model folder, nothing from the repository's build.
/// </summary>
public sealed class FromPackagesTests : IDisposable
{
    readonly OfflineTemplateWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    static void Ok(ProcessResult r, string what) => OfflineTemplateWorkspace.Ok(r, what);

    /// <summary>The doc's first ```sh and ```csharp blocks of the section "From code: the DI host".</summary>
    static (string[] Commands, string Program) DocSnippet()
    {
        var doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs/cli.md"));
        var section = doc[doc.IndexOf("## From code: the DI host", StringComparison.Ordinal)..];
        string Block(string lang) => Regex.Match(section, "```" + lang + "\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        var commands = Block("sh").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => Regex.Replace(l, @"\s+#.*$", "").Trim()).Where(l => l.Length > 0).ToArray();
        return (commands, Block("csharp"));
    }

    [Fact]
    public void The_docs_DI_snippet_runs_from_packages_on_the_toy_model()
    {
        var (commands, program) = DocSnippet();
        Assert.Equal("dotnet new console -n MyApp && cd MyApp", commands[0]);
        Assert.Contains("AddCanny(", program);

        _ws.Pack("src/ControlNet.Abstractions/ControlNet.Abstractions.csproj", "src/ControlNet.Core/ControlNet.Core.csproj",
                 "src/ControlNet.Hosting/ControlNet.Hosting.csproj");
        _ws.WriteNuGetConfig();
        var app = Path.Combine(_ws.Work, "MyApp");
        Ok(ProcessRunner.Run("dotnet", "new console -n MyApp --no-update-check", _ws.Work, _ws.Environment), "dotnet new console");
        foreach (var command in commands.Skip(1))
        {
            Assert.StartsWith("dotnet add package ", command);
            Ok(ProcessRunner.Run("dotnet", command["dotnet ".Length..], app, _ws.Environment), command);
        }
        File.WriteAllText(Path.Combine(app, "Program.cs"), program);

        var project = Path.Combine(app, "MyApp.csproj");
        Ok(ProcessRunner.Run("dotnet", $"build \"{project}\" -nodeReuse:false", _ws.Work, _ws.Environment), "dotnet build MyApp");
        var bin = Path.Combine(app, "bin/Debug/net10.0");
        Assert.True(File.Exists(Path.Combine(bin, "plugins/ControlNet.Conditions.Canny/ControlNet.Conditions.Canny.dll")), "the Canny plug-in did not come with ControlNet.Hosting");
        Assert.Empty(Directory.GetFiles(Path.Combine(bin, "plugins"), "*OpenCvSharpExtern*", SearchOption.AllDirectories));

        // Run where a checkout's models/ and samples/ are (symbolic links to the repository's).
        foreach (var folder in new[] { "models", "samples" })
            Directory.CreateSymbolicLink(Path.Combine(_ws.Work, folder), Path.Combine(RepoPaths.Root, folder));
        var run = ProcessRunner.Run("dotnet", $"\"{Path.Combine(bin, "MyApp.dll")}\"", _ws.Work, timeoutSeconds: 180);
        Ok(run, "MyApp (the docs snippet)");
        Assert.Contains("wrote toy.png (32x32, seed 1)", run.StdOut);
        var image = ImageFile.LoadRgb(Path.Combine(_ws.Work, "toy.png"));
        Assert.Equal((32, 32), (image.Width, image.Height));                 // the model folder's image_size, not 512
        Assert.True(image.Data!.Distinct().Count() > 16, "the generated image is (nearly) one flat colour");
    }

    [Fact]
    public void An_app_without_a_libtorch_runtime_is_told_which_package_to_add()
    {
        _ws.Pack("src/ControlNet.Hosting/ControlNet.Hosting.csproj");
        _ws.WriteNuGetConfig();
        var app = Path.Combine(_ws.Work, "NoTorch");
        Ok(ProcessRunner.Run("dotnet", "new console -n NoTorch --no-update-check", _ws.Work, _ws.Environment), "dotnet new console");
        Ok(ProcessRunner.Run("dotnet", "add package ControlNet.Hosting", app, _ws.Environment), "dotnet add package ControlNet.Hosting");
        var build = ProcessRunner.Run("dotnet", "build -nodeReuse:false", app, _ws.Environment);
        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("references no libtorch native runtime", build.StdOut);
        Assert.Contains("dotnet add package libtorch-cpu-linux-x64 --version 2.10.0", build.StdOut);
    }
}
