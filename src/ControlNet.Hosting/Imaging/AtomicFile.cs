namespace ControlNet.Hosting.Imaging;

/// <summary>Writes a whole file atomically into an existing folder (PNG outputs, run files); see <see cref="Checkpoints.AtomicFile"/>.</summary>
public static class AtomicFile
{
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Cannot write '{path}': the folder '{dir}' does not exist. Create it first.");
        Checkpoints.AtomicFile.Write(path, s => s.Write(bytes));
    }
}
