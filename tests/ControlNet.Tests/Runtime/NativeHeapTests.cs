using ControlNet.Runtime;
using static TorchSharp.torch;

namespace ControlNet.Tests.Runtime;

/// <summary>
/// <see cref="NativeHeap"/>: tensors freed between live ones leave the process (Release's premise). It measures the whole
/// process's RSS, so it runs alone: tests allocating beside it would hide what it frees (seen once in CI).
/// </summary>
[Collection(ProcessMemoryCollection.Name)]
public class NativeHeapTests
{
    static double RssMb() => long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS", StringComparison.Ordinal))
        .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;

    [Fact]
    public void Freed_tensors_between_live_ones_are_returned_to_the_system()
    {
        if (!OperatingSystem.IsLinux()) return;   // glibc only; elsewhere the class does nothing
        TorchRuntime.EnsureInitialized();
        NativeHeap.ReturnFreedMemoryEagerly();
        Assert.True(NativeHeap.ReturnsFreedMemory);

        // 2 MB tensors, every other one freed: with glibc's raised threshold these come from the heap, and freed blocks
        // between live ones would stay resident.
        GC.Collect();                              // earlier tests' tensors awaiting finalisation must not be freed mid-measurement
        GC.WaitForPendingFinalizers();
        var freed = new List<Tensor>();
        var kept = new List<Tensor>();
        using (var first = ones(512 * 1024)) { }   // frees one mapped block first: the point where glibc would raise its threshold
        double before = RssMb();
        for (int i = 0; i < 200; i++)
        {
            freed.Add(ones(512 * 1024));          // [512 Ki] float32 = 2 MB, touched
            kept.Add(ones(512 * 1024));
        }
        double full = RssMb();
        Assert.True(full - before > 600, $"800 MB allocated, RSS grew by {full - before:0} MB");
        foreach (var t in freed) t.Dispose();
        double after = RssMb();
        Assert.True(full - after > 300, $"400 MB freed between live tensors, RSS fell by only {full - after:0} MB");
        foreach (var t in kept) t.Dispose();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMemoryCollection
{
    public const string Name = "Process memory (not parallel)";
}
