using System.Globalization;

namespace ControlNet.Runtime;

/// <summary>The memory the machine can still give this process, read before a size is accepted.</summary>
public static class MachineMemory
{
    /// <summary>MemAvailable from /proc/meminfo in bytes, or −1 when unknown (not Linux, or unreadable).</summary>
    public static long AvailableBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    return long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return -1;
    }
}
