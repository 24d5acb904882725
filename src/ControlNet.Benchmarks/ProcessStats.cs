using System.Globalization;
using System.Runtime.InteropServices;

namespace ControlNet.Benchmarks;

/// <summary>Linux process and machine figures from /proc (zero / NaN elsewhere).</summary>
internal static class ProcessStats
{
    /// <summary>Peak resident set size (VmHWM) in bytes since start or the last <see cref="ResetPeak"/>.</summary>
    public static long PeakRssBytes() => StatusKb("VmHWM:") * 1024;

    public static long CurrentRssBytes() => StatusKb("VmRSS:") * 1024;

    /// <summary>Resets VmHWM to the current RSS (writing 5 to /proc/self/clear_refs, Linux ≥ 4.0), so each measurement reports its own peak.</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Returns freed heap memory to the OS (glibc malloc_trim), so a row's peak RSS does not include what earlier rows
    /// freed but the allocator kept. False where glibc is not available.
    /// </summary>
    public static bool TrimHeap()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return malloc_trim(0) != 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int malloc_trim(nuint pad);

    /// <summary>MemAvailable in bytes, or −1 when unknown.</summary>
    public static long AvailableMemoryBytes() => Runtime.MachineMemory.AvailableBytes();

    /// <summary>1, 5 and 15 minute load averages; NaN when unknown. Other work on the machine shows up here.</summary>
    public static double[] LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return parts.Take(3).Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (IOException)
        {
            return new[] { double.NaN, double.NaN, double.NaN };
        }
    }

    /// <summary>The CPU model name from /proc/cpuinfo, or "unknown".</summary>
    public static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>The ISA flags that decide which CPU kernels libtorch can use, as listed in /proc/cpuinfo; "" when unknown.</summary>
    public static string CpuFlags()
    {
        string[] wanted = ["sse4_2", "avx", "f16c", "fma", "avx2", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"];
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            if (line is null) return "";
            var have = line.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            return string.Join(" ", wanted.Where(have.Contains));
        }
        catch (IOException)
        {
            return "";
        }
    }

    static long StatusKb(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return ParseKb(line);
        }
        catch (IOException) { }
        return 0;
    }

    static long ParseKb(string line) =>
        long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}
