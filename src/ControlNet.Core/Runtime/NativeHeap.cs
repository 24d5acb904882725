using System.Runtime.InteropServices;

namespace ControlNet.Runtime;

/// <summary>
/// Makes glibc hand freed tensor memory back to the system at once, for <see cref="Pipelines.MemoryPolicy.Release"/>.
/// <para>
/// Why: libtorch allocates tensors with <c>malloc</c>. glibc serves a large block with its own <c>mmap</c> (returned on
/// free) only above a threshold that it raises, after the first such free, up to 32 MB; below it, blocks come from the
/// heap, whose freed pages stay in the process. Most SD 1.5 weights are under 32 MB, so a released U-Net left ≈ 1.5 GB
/// resident (measured: 1.80 GB RSS after reading and releasing the U-Net, 0.35 GB with a fixed threshold). A fixed
/// threshold of 128 KB (glibc's initial value) stops the raising.
/// </para>
/// <para>
/// Cost: each large allocation is a fresh mapping whose pages are zeroed on first touch. Only Release sets it (Keep, the
/// server's policy, keeps glibc's behaviour); a user's own <c>MALLOC_MMAP_THRESHOLD_</c> is left alone.
/// </para>
/// </summary>
public static class NativeHeap
{
    const int MmapThresholdOption = -3;   // M_MMAP_THRESHOLD in malloc.h
    const int Threshold = 128 * 1024;

    static readonly object Gate = new();
    static bool _applied;

    /// <summary>Whether the fixed threshold is in effect (set by this class or by the user's environment).</summary>
    public static bool ReturnsFreedMemory { get; private set; }

    /// <summary>Sets the fixed threshold once per process on Linux (glibc); nothing elsewhere.</summary>
    public static void ReturnFreedMemoryEagerly()
    {
        lock (Gate)
        {
            if (_applied) return;
            _applied = true;
            if (!OperatingSystem.IsLinux()) return;
            if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) { ReturnsFreedMemory = true; return; }
            try { ReturnsFreedMemory = mallopt(MmapThresholdOption, Threshold) == 1; }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }   // not glibc (musl): nothing to do
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    static extern int mallopt(int option, int value);
}
