using System.Diagnostics;
using ControlNet.Checkpoints;
using ControlNet.Cli;
using ControlNet.Hosting;
using ControlNet.Tests.Checkpoints;
using ControlNet.Tests.Cli;

namespace ControlNet.Tests.Hostile;

/// <summary>A fact that needs a real small file system: a tmpfs mounted for the test (root; CI runs as root).</summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (!SmallDisk.CanMount.Value) Skip = "Mounting a tmpfs needs root (CI runs the tests as root); run as root to test full and read-only disks.";
    }
}

/// <summary>A tmpfs of a few hundred kilobytes, mounted for one test: a disk that really fills up or is read-only.</summary>
public sealed class SmallDisk : IDisposable
{
    public static readonly Lazy<bool> CanMount = new(() =>
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return false;
        try { using var probe = new SmallDisk(64 << 10); return true; }
        catch (InvalidOperationException) { return false; }
    });

    public string Path { get; } = Directory.CreateTempSubdirectory("controlnet-small-disk-").FullName;

    public SmallDisk(int bytes)
    {
        try { Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", Path); }
        catch { Directory.Delete(Path); throw; }
    }

    public string this[string name] => System.IO.Path.Combine(Path, name);

    /// <summary>Writes a file until the disk refuses more; returns its path.</summary>
    public string Fill()
    {
        var filler = this["filler"];
        using var fs = new FileStream(filler, FileMode.Create);
        var block = new byte[4096];
        try { while (true) fs.Write(block); }
        catch (IOException) { }
        return filler;
    }

    public void MakeReadOnly() => Run("mount", "-o", "remount,ro", Path);

    public void Dispose()
    {
        try { Run("umount", "-l", Path); } catch (InvalidOperationException) { }
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }

    static void Run(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new InvalidOperationException($"{command} did not start");
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{command} {string.Join(' ', args)}: {err}");
    }
}

/// <summary>
/// Issue 20's "a full disk and a read-only path are reported with the path", on real file systems: the CLI writes a
/// condition map and a converted checkpoint to a tmpfs that is full or read-only. One line names the path and the
/// cause, the previous output is unchanged, and no temporary file is left behind.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class FullDiskTests
{
    static readonly string ToyControlNet = System.IO.Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath, "controlnet-canny.safetensors");

    static void AssertOneLine(string err)
    {
        var lines = err.Trim().Split('\n');
        Assert.True(lines.Length == 1, "expected one line, got:\n" + err);
        Assert.StartsWith("error: ", lines[0]);
    }

    static string[] Canny(string output, string threshold) =>
        ["preprocess", "canny", CliRunner.Photo, output, "--plugins", CliRunner.PluginFolder, "--option", $"low={threshold}"];

    [SmallDiskFact]
    public void A_full_disk_is_reported_with_the_path_the_old_map_stays_and_nothing_is_left()
    {
        using var disk = new SmallDisk(512 << 10);
        var map = disk["map.png"];
        var (code, err) = CliRunner.RunReal(Canny(map, "100"));
        Assert.True(code == ExitCodes.Success, err);
        var old = File.ReadAllBytes(map);
        var filler = disk.Fill();

        (code, err) = CliRunner.RunReal(Canny(map, "50"));

        Assert.Equal(ExitCodes.Failure, code);
        AssertOneLine(err);
        Assert.Contains($"'{map}'", err);
        Assert.Contains("the disk is full", err);
        Assert.Equal(old, File.ReadAllBytes(map));
        Assert.Equal(["filler", "map.png"], Directory.EnumerateFileSystemEntries(disk.Path).Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal));

        File.Delete(filler);
        (code, err) = CliRunner.RunReal(Canny(map, "50"));
        Assert.True(code == ExitCodes.Success, err);
        Assert.NotEqual(old, File.ReadAllBytes(map));
    }

    [SmallDiskFact]
    public void A_checkpoint_larger_than_the_free_space_is_reported_and_no_partial_file_remains()
    {
        // The toy ControlNet is 2.2 MB; the disk holds 1 MB.
        using var disk = new SmallDisk(1 << 20);

        var (code, err) = CliRunner.RunReal("convert", ToyControlNet, disk["cn.safetensors"], "--to", "ldm", "--quiet");

        Assert.Equal(ExitCodes.Failure, code);
        AssertOneLine(err);
        Assert.Contains($"'{disk["cn.safetensors"]}'", err);
        Assert.Contains("the disk is full", err);
        Assert.Empty(Directory.EnumerateFileSystemEntries(disk.Path));
    }

    [SmallDiskFact]
    public void A_diffusers_folder_larger_than_the_free_space_is_reported_and_no_partial_folder_remains()
    {
        using var dir = new TempDir();
        var source = dir["tiny.safetensors"];
        WeightsFile.Write(source, TestFiles.TinyLdm([ModelComponent.Unet, ModelComponent.Vae, ModelComponent.TextEncoder]));
        var (code, err) = CliRunner.RunReal("convert", source, dir["whole"], "--to", "diffusers", "--quiet");
        Assert.True(code == ExitCodes.Success, err);
        long size = Directory.EnumerateFiles(dir["whole"], "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        // Room for half of the folder: the weights of some component cannot be written.
        using var disk = new SmallDisk((int)Math.Max(64 << 10, size / 2));

        (code, err) = CliRunner.RunReal("convert", source, disk["sd"], "--to", "diffusers", "--quiet");

        Assert.Equal(ExitCodes.Failure, code);
        AssertOneLine(err);
        Assert.Contains($"'{disk["sd"]}/", err);   // the folder asked for, not its staging folder
        Assert.Contains("the disk is full", err);
        Assert.Empty(Directory.EnumerateFileSystemEntries(disk.Path));
    }

    [SmallDiskFact]
    public void A_read_only_file_system_is_reported_with_the_path()
    {
        using var disk = new SmallDisk(512 << 10);
        disk.MakeReadOnly();
        var (code, err) = CliRunner.RunReal(Canny(disk["map.png"], "100"));
        Assert.Equal(ExitCodes.Failure, code);
        AssertOneLine(err);
        Assert.Contains($"'{disk["map.png"]}'", err);
        Assert.Contains("read-only", err);
    }
}
