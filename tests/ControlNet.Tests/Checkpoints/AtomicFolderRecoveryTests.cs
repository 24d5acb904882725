using System.Diagnostics;
using ControlNet.Checkpoints;

namespace ControlNet.Tests.Checkpoints;

/// <summary>
/// A folder swap killed between its two renames leaves the old folder only under its aside name. The next write (or
/// <see cref="AtomicFile.RemoveStale"/>) must put it back, not delete it as a stale temporary.
/// </summary>
public class AtomicFolderRecoveryTests
{
    /// <summary>The id of a process that has exited (a killed writer).</summary>
    static int DeadProcessId()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    static string Aside(string dir, string name, int pid) => Path.Combine(dir, $".{name}.{pid}.0badc0de.old");

    [Fact]
    public void An_old_folder_left_aside_by_a_killed_swap_is_put_back()
    {
        using var dir = new TempDir();
        var aside = Directory.CreateDirectory(Aside(dir.Path, "my.model", DeadProcessId())).FullName;
        File.WriteAllText(Path.Combine(aside, "weights.bin"), "old");

        Assert.Equal(1, AtomicFile.RemoveStale(dir.Path));

        Assert.Equal("old", File.ReadAllText(dir["my.model/weights.bin"]));
        Assert.Equal(["my.model"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void An_aside_folder_whose_swap_completed_is_deleted_and_a_running_writers_is_left_alone()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(dir["cn"]).FullName, "new.txt"), "new");
        Directory.CreateDirectory(Aside(dir.Path, "cn", DeadProcessId()));            // killed after the second rename
        var running = Directory.CreateDirectory(Aside(dir.Path, "other", Environment.ProcessId)).FullName;

        Assert.Equal(1, AtomicFile.RemoveStale(dir.Path));

        Assert.Equal("new", File.ReadAllText(dir["cn/new.txt"]));
        Assert.True(Directory.Exists(running));
        Assert.False(Directory.Exists(dir["other"]));
    }

    [Fact]
    public void The_next_folder_write_restores_first_then_replaces_whole()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Aside(dir.Path, "cn", DeadProcessId())).FullName, "old.txt"), "old");

        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteFolder(dir["cn"], _ => throw new InvalidOperationException("fails")));
        Assert.Equal("old", File.ReadAllText(dir["cn/old.txt"]));            // restored, and kept by the failed write

        AtomicFile.WriteFolder(dir["cn"], staging => File.WriteAllText(Path.Combine(staging, "new.txt"), "new"));
        Assert.Equal(["new.txt"], Directory.EnumerateFileSystemEntries(dir["cn"]).Select(Path.GetFileName));
        Assert.Equal(["cn"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }
}
