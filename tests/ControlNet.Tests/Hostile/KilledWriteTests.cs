using System.Diagnostics;
using ControlNet.Checkpoints;
using ControlNet.Hosting;
using ControlNet.Tests.Checkpoints;

namespace ControlNet.Tests.Hostile;

/// <summary>
/// Faults of issue 20: the real CLI process is SIGKILLed while it writes a converted checkpoint (a file, and a
/// diffusers folder) and while it installs a plug-in package. The kill comes the moment its temporary file or staging folder appears, so it lands mid-write.
/// The old output must stay whole, and the next run must replace it and remove what the killed process left.
/// </summary>
public class KilledWriteTests
{
    static readonly string Cli = Path.Combine(AppContext.BaseDirectory, "controlnet");
    static readonly string ToyControlNet = Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath, "controlnet-canny.safetensors");
    const int Attempts = 6;

    [Fact]
    public void A_convert_to_a_file_killed_mid_write_keeps_the_old_file_and_the_next_run_cleans_up()
    {
        using var dir = new TempDir();
        var expected = dir["expected.safetensors"];
        Assert.Equal(0, RunToEnd("convert", ToyControlNet, expected, "--to", "ldm", "--quiet"));
        var output = dir["out"];
        Directory.CreateDirectory(output);
        var target = Path.Combine(output, "cn.safetensors");
        var old = "old weights"u8.ToArray();
        File.WriteAllBytes(target, old);

        var midWrite = 0;
        for (var i = 0; i < Attempts; i++)
        {
            var temp = KillWhenCreated(output, "*.tmp", "convert", ToyControlNet, target, "--to", "ldm", "--quiet");
            var now = File.ReadAllBytes(target);
            // Old or new, never a partial file.
            Assert.True(now.SequenceEqual(old) || now.SequenceEqual(File.ReadAllBytes(expected)), "the output is partial after a kill");
            if (temp is not null && File.Exists(temp) && now.SequenceEqual(old)) midWrite++;
            File.WriteAllBytes(target, old);
        }
        Assert.True(midWrite > 0, $"no kill of {Attempts} landed while the temporary file was being written");

        Assert.Equal(0, RunToEnd("convert", ToyControlNet, target, "--to", "ldm", "--quiet"));
        Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(target));
        Assert.Equal(["cn.safetensors"], Directory.EnumerateFileSystemEntries(output).Select(Path.GetFileName));   // stale temporaries removed
    }

    [Fact]
    public void A_convert_to_a_diffusers_folder_killed_mid_write_keeps_the_old_folder_and_the_next_run_cleans_up()
    {
        using var dir = new TempDir();
        // A tiny SD 1.x-topology pipeline file: its diffusers folder has unet/, vae/, text_encoder/, tokenizer/, scheduler/.
        var source = dir["tiny.safetensors"];
        WeightsFile.Write(source, TestFiles.TinyLdm([ModelComponent.Unet, ModelComponent.Vae, ModelComponent.TextEncoder]));
        var expected = dir["expected"];
        Assert.Equal(0, RunToEnd("convert", source, expected, "--to", "diffusers", "--quiet"));
        var parent = dir["out"];
        var target = Path.Combine(parent, "cn");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "old.txt"), "old");

        var midWrite = 0;
        for (var i = 0; i < Attempts; i++)
        {
            var staging = KillWhenCreated(parent, "*.partial", "convert", source, target, "--to", "diffusers", "--quiet");
            var isOld = File.Exists(Path.Combine(target, "old.txt"));
            // Old or new, never a folder with a config and no weights.
            Assert.True(isOld ? Files(target).SequenceEqual(["old.txt"]) : SameFolder(expected, target), "the output folder is partial after a kill");
            if (staging is not null && Directory.Exists(staging) && isOld) midWrite++;
            if (!isOld)
            {
                Directory.Delete(target, recursive: true);
                Directory.CreateDirectory(target);
                File.WriteAllText(Path.Combine(target, "old.txt"), "old");
            }
        }
        Assert.True(midWrite > 0, $"no kill of {Attempts} landed while the staging folder was being written");

        Assert.Equal(0, RunToEnd("convert", source, target, "--to", "diffusers", "--quiet"));
        Assert.True(SameFolder(expected, target));
        Assert.Equal(["cn"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));   // staging folders removed
    }

    [Fact]
    public void A_plugin_install_killed_mid_extraction_keeps_the_old_version_and_the_next_run_cleans_up()
    {
        using var dir = new TempDir();
        var feed = dir["feed"];
        var home = dir["home"];
        IntegrationTests.FakePluginPackages.Write(feed, "Acme.Sobel", "1.0.0", manifestContract: "1.0");
        IntegrationTests.FakePluginPackages.Write(feed, "Acme.Sobel", "1.1.0", manifestContract: "1.0", nativeBytes: 64 << 20);
        string[] install = ["plugins", "install", "Acme.Sobel@1.1.0", "--source", feed, "--trust"];
        // The fake packages carry no plug-in type, so install reports "does not load" (exit 1) after placing the folder.
        RunToEnd(home, ["plugins", "install", "Acme.Sobel@1.0.0", "--source", feed, "--trust"]);
        var plugins = Path.Combine(home, "plugins");
        var folder = Path.Combine(plugins, "Acme.Sobel");
        var native = Path.Combine(folder, "runtimes", "linux-x64", "native", "libacme.so");
        Assert.Equal("native", File.ReadAllText(native));

        var midWrite = 0;
        for (var i = 0; i < Attempts; i++)
        {
            var staging = KillWhenCreated(plugins, ".Acme.Sobel.*", home, install);
            // Old or new, never a half-extracted plug-in folder.
            var size = new FileInfo(native).Length;
            Assert.True(size is 6 or 64 << 20, $"the plug-in folder is partial after a kill: libacme.so has {size} bytes");
            if (staging is not null && Directory.Exists(staging) && size == 6) midWrite++;
            if (size != 6) RunToEnd(home, ["plugins", "install", "Acme.Sobel@1.0.0", "--source", feed, "--trust"]);
        }
        Assert.True(midWrite > 0, $"no kill of {Attempts} landed while the package was being extracted");

        // Any later command removes what the killed installs left; the next install completes.
        RunToEnd(home, ["plugins", "list"]);
        Assert.Equal(["Acme.Sobel"], Directory.EnumerateFileSystemEntries(plugins).Select(Path.GetFileName));
        RunToEnd(home, install);
        Assert.Equal(64 << 20, new FileInfo(native).Length);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(home, "tmp")));
    }

    /// <summary>Starts the CLI and SIGKILLs it as soon as an entry matching <paramref name="pattern"/> appears in <paramref name="folder"/>; returns that entry.</summary>
    static string? KillWhenCreated(string folder, string pattern, params string[] args) => KillWhenCreated(folder, pattern, null, args);

    static string? KillWhenCreated(string folder, string pattern, string? home, string[] args)
    {
        using var watcher = new FileSystemWatcher(folder, pattern) { IncludeSubdirectories = false };
        string? created = null;
        using var process = Start(home, args);
        watcher.Created += (_, e) =>
        {
            created ??= e.FullPath;
            // SIGKILL; already exited is fine. The handler runs on a watcher thread: an exception escaping it would
            // bring down the whole test host, so nothing may escape.
            try { process.Kill(); } catch (Exception) { }
        };
        watcher.EnableRaisingEvents = true;
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the CLI did not finish");
        watcher.EnableRaisingEvents = false;   // no late event on a disposed process
        return created;
    }

    static int RunToEnd(params string[] args) => RunToEnd(null, args);

    static int RunToEnd(string? home, string[] args)
    {
        using var process = Start(home, args);
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the CLI did not finish");
        return process.ExitCode;
    }

    /// <summary>Starts the CLI; with <paramref name="home"/>, as <c>CONTROLNET_HOME</c> (plug-ins, settings, staging).</summary>
    static Process Start(string? home, string[] args)
    {
        var info = new ProcessStartInfo(Cli) { RedirectStandardError = true, RedirectStandardOutput = true };
        if (home is not null) info.Environment[ControlNetHome.EnvironmentVariable] = home;
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    static IEnumerable<string> Files(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal);

    static bool SameFolder(string a, string b) =>
        Files(a).SequenceEqual(Files(b)) && Files(a).All(f => File.ReadAllBytes(Path.Combine(a, f)).SequenceEqual(File.ReadAllBytes(Path.Combine(b, f))));
}
