namespace ControlNet.Runtime;

/// <summary>What the machine has free, for limits that must be checked before allocating (Linux /proc/meminfo).</summary>
public static class MachineMemory
{
    /// <summary>MemAvailable in bytes, or −1 when unknown.</summary>
    public static long AvailableBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        return -1;
    }
}
