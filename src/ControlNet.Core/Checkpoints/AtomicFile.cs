using System.Diagnostics;

namespace ControlNet.Checkpoints;

/// <summary>
/// Writes files and folders beside their target and renames them into place whole, so a reader (or a process killed
/// mid-write) sees the old output or the new one, never a partial one. Temporary names carry the writer's process id:
/// the next write into the same folder deletes those of processes that no longer run (a SIGKILL cannot clean up), and
/// puts back an old folder that a killed writer had renamed aside but not yet replaced.
/// Failures name the path and the likely cause (read-only folder, full disk).
/// </summary>
public static class AtomicFile
{
    const string TempSuffix = ".tmp";
    const string PartialSuffix = ".partial";
    /// <summary>An existing folder renamed aside during a swap; the only copy until the new folder is in place.</summary>
    const string AsideSuffix = ".old";

    /// <summary>
    /// A temporary path beside <paramref name="path"/> (same folder, so a rename moves it into place) that
    /// <see cref="RemoveStale"/> deletes once its process no longer runs.
    /// </summary>
    public static string TemporaryPath(string path) => TempName(Path.GetFullPath(path), TempSuffix);

    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Guard(full, () => Directory.CreateDirectory(dir));
        RemoveStale(dir);
        var tmp = TempName(full, TempSuffix);
        try
        {
            Guard(full, () =>
            {
                using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    write(fs);
                    fs.Flush(flushToDisk: true);
                }
                File.Move(tmp, full, overwrite: true);
            });
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>
    /// Builds a folder beside <paramref name="folder"/> with <paramref name="write"/>, then swaps it into place: the old
    /// folder (if any) is renamed aside, the new one renamed in, the old one deleted. A failure leaves the old folder.
    /// </summary>
    public static void WriteFolder(string folder, Action<string> write)
    {
        var full = Path.GetFullPath(folder.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        var parent = Path.GetDirectoryName(full)!;
        if (File.Exists(full)) throw new IOException($"Cannot write the folder '{folder}': a file has that name. Pick another output path.");
        Guard(full, () => Directory.CreateDirectory(parent));
        RemoveStale(parent);
        var staging = TempName(full, PartialSuffix);
        string? old = null;
        try
        {
            Guard(full, () => Directory.CreateDirectory(staging));
            // Failures name the folder the user asked for, not the staging folder beside it.
            try { write(staging); }
            catch (IOException e) when (e.Message.Contains(staging, StringComparison.Ordinal))
            {
                throw new IOException(e.Message.Replace(staging, full, StringComparison.Ordinal), e) { HResult = e.HResult };
            }
            Guard(full, () =>
            {
                if (Directory.Exists(full))
                {
                    old = TempName(full, AsideSuffix);
                    Directory.Move(full, old);
                }
                Directory.Move(staging, full);
            });
        }
        catch
        {
            if (old is not null && !Directory.Exists(full)) Directory.Move(old, full);
            TryDelete(staging);
            throw;
        }
        if (old is not null) TryDelete(old);
    }

    /// <summary>
    /// Deletes temporary files and folders in <paramref name="dir"/> left by writers that no longer run, and renames
    /// back an old folder whose writer was killed between moving it aside and moving the new one in.
    /// </summary>
    public static int RemoveStale(string dir)
    {
        var removed = 0;
        if (!Directory.Exists(dir)) return 0;
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateFileSystemEntries(dir, ".*").ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            bool aside = name.EndsWith(AsideSuffix, StringComparison.Ordinal);
            if (!(aside || name.EndsWith(TempSuffix, StringComparison.Ordinal) || name.EndsWith(PartialSuffix, StringComparison.Ordinal))) continue;
            // .NAME.PID.RANDOM.tmp — anything else (another tool's dot file) is left alone.
            var parts = name.Split('.');
            if (parts.Length < 5 || !int.TryParse(parts[^3], out var pid) || IsRunning(pid)) continue;
            var original = Path.Combine(dir, string.Join('.', parts[1..^3]));
            if (aside && !Directory.Exists(original) && !File.Exists(original))
            {
                try { Directory.Move(entry, original); removed++; }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
                continue;
            }
            if (TryDelete(entry)) removed++;
        }
        return removed;
    }

    static string TempName(string full, string suffix) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid().ToString("N")[..8]}{suffix}");

    static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    static bool TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Runs a file-system step and rewrites its failure as one line naming <paramref name="target"/> and the fix.</summary>
    static void Guard(string target, Action step)
    {
        try { step(); }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"Cannot write '{target}': permission denied or a read-only location ({e.Message}). Choose an output path in a writable folder.", e);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            throw new IOException($"Cannot write '{target}': the disk is full ({e.Message}). Free space or choose an output path on another disk; the previous file is unchanged.", e);
        }
        catch (IOException e) when (e.HResult == 30 || e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase))
        {
            throw new IOException($"Cannot write '{target}': the file system is read-only ({e.Message}). Choose an output path in a writable folder.", e);
        }
    }

    static bool IsDiskFull(IOException e) =>
        (e.HResult & 0xFFFF) is 28 or 0x70 or 0x27 || e.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
}
