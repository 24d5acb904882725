using System.Runtime.InteropServices;

namespace ControlNet.Runtime;

/// <summary>
/// The OpenMP settings libtorch's CPU kernels run with, chosen by measurement (docs/performance.md, "Threading
/// defaults") and put into the process environment before the native library loads. libtorch-cpu ships GNU OpenMP
/// (libgomp), which reads its environment once, when it is loaded: a value set after the first tensor has no effect.
/// A variable the user has set always wins; <see cref="Apply"/> only fills the ones that are missing.
/// </summary>
public static class ThreadingDefaults
{
    /// <summary>
    /// Variable → value applied when the user's environment lacks it. <c>OMP_WAIT_POLICY=PASSIVE</c>: a worker thread
    /// that waits for work sleeps at once instead of spinning (libgomp's default spins up to 300,000 iterations). On a
    /// machine shared with other busy processes the spinning thread takes a core away from the thread that has work, so
    /// every small op (GroupNorm, SiLU, additions) stalls; on a quiet machine the difference is within the noise.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Defaults { get; } =
    [
        new("OMP_WAIT_POLICY", "PASSIVE"),
    ];

    /// <summary>Set to <c>off</c> to apply none of the defaults (OpenMP's own settings then hold).</summary>
    public const string DisableVariable = "CONTROLNET_THREADING_DEFAULTS";

    static readonly object Gate = new();
    static ThreadingSettings? _applied;

    /// <summary>
    /// Fills in <see cref="Defaults"/> the user has not set, in the native environment (where libgomp reads them) and in
    /// .NET's view of it; safe to call many times; the first call decides. Call it before anything touches TorchSharp:
    /// the CLI does so first thing in <c>Main</c>, <see cref="TorchRuntime.EnsureInitialized"/> and <c>AddControlNet</c>
    /// call it too. Returns what is in effect and whether it came too late (OpenMP already loaded).
    /// </summary>
    public static ThreadingSettings Apply()
    {
        lock (Gate)
        {
            if (_applied is not null) return _applied;
            AmxGuard.Apply();   // also before libtorch's first kernel: see AmxGuard for why
            var loadedBefore = OpenMpLoaded();
            var entries = new List<ThreadingSetting>();
            // CONTROLNET_THREADING_DEFAULTS=off leaves OpenMP's own defaults (how the bench measures "before").
            var disabled = string.Equals(NativeGetenv(DisableVariable), "off", StringComparison.OrdinalIgnoreCase);
            foreach (var (name, value) in Defaults)
            {
                var user = NativeGetenv(name);
                if (user is not null)
                {
                    entries.Add(new ThreadingSetting(name, user, FromUser: true));
                    continue;
                }
                if (disabled) continue;
                NativeSetenv(name, value);
                Environment.SetEnvironmentVariable(name, value);
                entries.Add(new ThreadingSetting(name, value, FromUser: false));
            }
            return _applied = new ThreadingSettings(entries, AppliedBeforeLoad: !loadedBefore);
        }
    }

    /// <summary>Whether libgomp is mapped into this process already (Linux; false where /proc is not available).</summary>
    public static bool OpenMpLoaded()
    {
        try
        {
            return File.Exists("/proc/self/maps") && File.ReadLines("/proc/self/maps").Any(l => l.Contains("libgomp", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    // .NET keeps its own copy of the environment on Unix: Environment.SetEnvironmentVariable does not reach getenv(3),
    // which is what libgomp calls, so the native environment is written directly.
    static string? NativeGetenv(string name)
    {
        if (OperatingSystem.IsWindows()) return Environment.GetEnvironmentVariable(name);
        var p = getenv(name);
        return p == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(p);
    }

    static void NativeSetenv(string name, string value)
    {
        if (OperatingSystem.IsWindows()) return;   // Windows' CRT reads the process environment, which .NET sets below
        if (setenv(name, value, 0) != 0)
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}.");
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    static extern IntPtr getenv(string name);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    static extern int setenv(string name, string value, int overwrite);
}

/// <summary>One threading variable in effect and whether the user's environment gave it.</summary>
public sealed record ThreadingSetting(string Name, string Value, bool FromUser);

/// <summary>
/// What <see cref="ThreadingDefaults.Apply"/> left in effect. <paramref name="AppliedBeforeLoad"/> is false when OpenMP
/// was already loaded at the first call (then the defaults were set too late to matter for this process).
/// </summary>
public sealed record ThreadingSettings(IReadOnlyList<ThreadingSetting> Variables, bool AppliedBeforeLoad)
{
    /// <summary>E.g. <c>OMP_WAIT_POLICY=PASSIVE (default)</c>.</summary>
    public string Describe() =>
        (Variables.Count == 0 ? "OpenMP's own defaults" : string.Join(", ", Variables.Select(v => $"{v.Name}={v.Value} ({(v.FromUser ? "environment" : "default")})"))) +
        (AppliedBeforeLoad ? "" : "; set after OpenMP was loaded, so not in effect");
}
