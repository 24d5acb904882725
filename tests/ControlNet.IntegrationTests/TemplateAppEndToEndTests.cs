using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;

namespace ControlNet.IntegrationTests;

/// <summary>
/// The controlnet-app template, offline: pack the SDK packages (contract, core, host, the canny plug-in) and the
/// template pack into a folder feed, `dotnet new controlnet-app -n Acme.App`, `dotnet build` it restoring only from the
/// feed and the machine's package cache, then run it on the repository's toy model.
/// </summary>
public sealed class TemplateAppEndToEndTests : IDisposable
{
    readonly OfflineTemplateWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    static void Ok(ProcessResult r, string what) => OfflineTemplateWorkspace.Ok(r, what);

    [Fact]
    public void Template_app_builds_from_a_folder_feed_and_generates_with_the_toy_model()
    {
        // 1. The feed: what the app references (ControlNet.Hosting brings Core and the contract) and the template pack.
        _ws.Pack("src/ControlNet.Abstractions/ControlNet.Abstractions.csproj", "src/ControlNet.Core/ControlNet.Core.csproj",
                 "src/ControlNet.Hosting/ControlNet.Hosting.csproj", "plugins/ControlNet.Conditions.Canny/ControlNet.Conditions.Canny.csproj");
        _ws.InstallTemplates();

        // 2. dotnet new: sourceName renames the project, its namespace and its usage text.
        _ws.New("controlnet-app", "-n Acme.App");
        var app = Path.Combine(_ws.Work, "Acme.App");
        var project = Path.Combine(app, "Acme.App.csproj");
        Assert.True(File.Exists(project), "the template did not create " + project);
        Assert.Contains("namespace Acme.App;", File.ReadAllText(Path.Combine(app, "AppArguments.cs")));
        foreach (var file in Directory.GetFiles(app, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain("Company.App", File.ReadAllText(file));

        // 3. dotnet build with only the feed and the machine's package cache as sources: no network.
        _ws.WriteNuGetConfig();
        Ok(ProcessRunner.Run("dotnet", $"build \"{project}\" -nodeReuse:false", _ws.Work, _ws.Environment), "dotnet build Acme.App");
        var bin = Path.Combine(app, "bin/Debug/net10.0");
        Assert.True(File.Exists(Path.Combine(bin, "Acme.App.dll")));
        Assert.True(File.Exists(Path.Combine(bin, "plugins/ControlNet.Conditions.Canny/ControlNet.Conditions.Canny.dll")), "the canny plug-in was not bundled");

        // The Debian 12 fix from the ControlNet.Hosting package ran: the output's TorchSharp native differs from the
        // package's (one version flag changed), the package's own copy is untouched.
        var native = Path.Combine(bin, "runtimes/linux-x64/native/libLibTorchSharp.so");
        var packaged = Path.Combine(_ws.Environment["NUGET_PACKAGES"], "torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so");
        Assert.True(File.Exists(native) && File.Exists(packaged), $"{native} or {packaged} is missing");
        var (a, b) = (File.ReadAllBytes(native), File.ReadAllBytes(packaged));
        Assert.Equal(b.Length, a.Length);
        Assert.InRange(a.Zip(b).Count(p => p.First != p.Second), 1, 4);

        // 4. Run it. Without --model it says what to pass.
        ProcessResult Run(string args) => ProcessRunner.Run("dotnet", $"\"{Path.Combine(bin, "Acme.App.dll")}\" {args}", _ws.Work, timeoutSeconds: 120);
        const int n = 32;
        var rgb = new byte[n * n * 3];
        for (int y = 8; y < 24; y++)
            for (int x = 8; x < 24; x++)
                rgb[(y * n + x) * 3] = rgb[(y * n + x) * 3 + 1] = rgb[(y * n + x) * 3 + 2] = 255;
        ImageFile.SavePng(ConditionImage.Rgb(n, n, rgb), Path.Combine(_ws.Work, "square.png"));

        var missing = Run("\"a white square\" square.png");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--model <ControlNet.NET checkout>/models/toy", missing.StdErr);

        var toy = Path.Combine(RepoPaths.Root, "models/toy");
        var first = Run($"\"a white square\" square.png --model \"{toy}\" --steps 8 --seed 3 --out a.png");
        Ok(first, "Acme.App on the toy model");
        Assert.Contains("Wrote a.png (32x32, seed 3", first.StdOut);
        var image = ImageFile.LoadRgb(Path.Combine(_ws.Work, "a.png"));
        Assert.Equal((n, n), (image.Width, image.Height));
        Assert.True(image.Data!.Distinct().Count() > 1, "the generated image is one flat colour");

        // Same seed, same image: the app is deterministic on CPU.
        Ok(Run($"\"a white square\" square.png --model \"{toy}\" --steps 8 --seed 3 --out b.png"), "second run");
        // Pixels, not bytes: the PNG's run metadata names its own output path (a.png vs b.png).
        Assert.Equal(ImageFile.LoadRgb(Path.Combine(_ws.Work, "a.png")).Data, ImageFile.LoadRgb(Path.Combine(_ws.Work, "b.png")).Data);
    }
}
