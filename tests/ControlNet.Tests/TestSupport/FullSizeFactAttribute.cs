namespace ControlNet.Tests;

/// <summary>
/// A fact on full-size SD 1.5 files (random weights in the real layout), skipped visibly unless
/// CONTROLNET_FULL_SIZE_TESTS=1 — which test.runsettings sets, so every `dotnet test` of the repository (CI's too) runs
/// them. Linked into the server's test project as well.
/// </summary>
public sealed class FullSizeFactAttribute : FactAttribute
{
    public FullSizeFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CONTROLNET_FULL_SIZE_TESTS") != "1")
            Skip = "Writes gigabytes of full-size SD 1.5 files; set CONTROLNET_FULL_SIZE_TESTS=1 to run.";
    }
}

/// <summary>
/// One full-size test at a time across the test projects that `dotnet test Sdk.sln` runs side by side: each needs
/// several GB of RAM (a training step ~10 GB, a served pipeline ~6.4 GB), and together they could exhaust the machine.
/// An exclusive lock on a file in the temporary folder, held until disposed; the kernel drops it if the process dies.
/// </summary>
public static class FullSizeGate
{
    static readonly string LockFile = Path.Combine(Path.GetTempPath(), "controlnet-full-size-tests.lock");

    public static IDisposable Enter()
    {
        var deadline = DateTime.UtcNow.AddMinutes(20);
        while (true)
        {
            try { return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(500); }
        }
    }
}
