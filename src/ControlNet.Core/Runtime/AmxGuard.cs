using System.Runtime.InteropServices;

namespace ControlNet.Runtime;

/// <summary>
/// Keeps libtorch off Intel AMX, where the CPU has it, so that a null reference stays an exception.
/// <para>
/// Why: once a thread has run an AMX kernel (libtorch's bf16 attention and oneDNN's bf16 GEMMs request AMX on Sapphire
/// Rapids and later), Linux saves its 8 KB of tile registers in every signal frame of that thread. The .NET runtime
/// turns a null dereference into a <see cref="NullReferenceException"/> in a SIGSEGV handler that runs on a small
/// alternate signal stack; with the tile state on it, the handler overflows that stack and the process dies with no
/// message. Measured here: a bf16 <c>scaled_dot_product_attention</c> followed by a null reference on the same thread
/// killed the process every time.
/// </para>
/// <para>
/// How: a seccomp filter makes the one request that grants a process AMX (<c>arch_prctl(ARCH_REQ_XCOMP_PERM)</c>) fail
/// with EPERM, which libtorch and oneDNN treat as "no AMX" and fall back to AVX-512 kernels. Every other system call is
/// allowed. Installed only on Linux x64 CPUs that have AMX; <c>CONTROLNET_AMX=allow</c> leaves AMX on (faster bf16
/// compute, at the price above). Must run before libtorch's first bf16 kernel; <see cref="ThreadingDefaults.Apply"/>
/// calls it.
/// </para>
/// </summary>
public static class AmxGuard
{
    /// <summary>Set to <c>allow</c> to let libtorch use AMX.</summary>
    public const string Variable = "CONTROLNET_AMX";

    /// <summary>What <see cref="Apply"/> did: "denied", "allowed by CONTROLNET_AMX", "not present", or why it could not.</summary>
    public static string State { get; private set; } = "not applied";

    static readonly object Gate = new();
    static bool _applied;

    public static void Apply()
    {
        lock (Gate)
        {
            if (_applied) return;
            _applied = true;
            if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || !CpuHasAmx())
            {
                State = "not present";
                return;
            }
            if (string.Equals(Environment.GetEnvironmentVariable(Variable), "allow", StringComparison.OrdinalIgnoreCase))
            {
                State = $"allowed by {Variable}";
                return;
            }
            State = DenyAmxPermission();
        }
    }

    static bool CpuHasAmx()
    {
        try { return File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Contains(" amx_tile", StringComparison.Ordinal)); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    // seccomp_data: nr at 0, arch at 4, args[0] at 16 (low 32 bits on little-endian).
    const uint AuditArchX8664 = 0xC000003E, ArchPrctl = 158, ArchReqXcompPerm = 0x1023;
    const uint RetAllow = 0x7FFF0000, RetErrnoEperm = 0x00050000 | 1;
    const ushort LdW = 0x20, JeqK = 0x15, Ret = 0x06;   // BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K

    [StructLayout(LayoutKind.Sequential)]
    struct SockFilter(ushort code, byte jt, byte jf, uint k)
    {
        public ushort Code = code;
        public byte Jt = jt, Jf = jf;
        public uint K = k;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct SockFprog
    {
        public ushort Length;
        public IntPtr Filter;
    }

    static unsafe string DenyAmxPermission()
    {
        SockFilter[] program =
        [
            new(LdW, 0, 0, 4),                         // A = arch
            new(JeqK, 0, 5, AuditArchX8664),           // not x86-64: allow
            new(LdW, 0, 0, 0),                         // A = syscall number
            new(JeqK, 0, 3, ArchPrctl),                // not arch_prctl: allow
            new(LdW, 0, 0, 16),                        // A = first argument
            new(JeqK, 0, 1, ArchReqXcompPerm),         // not a permission request: allow
            new(Ret, 0, 0, RetErrnoEperm),
            new(Ret, 0, 0, RetAllow),
        ];
        // No new privileges: required for an unprivileged filter, and what a filtered process should have anyway.
        if (prctl(PrSetNoNewPrivs, 1, 0, 0, 0) != 0) return $"could not be denied (prctl errno {Marshal.GetLastPInvokeError()})";
        fixed (SockFilter* filter = program)
        {
            var fprog = new SockFprog { Length = (ushort)program.Length, Filter = (IntPtr)filter };
            // TSYNC: every thread of the process, not only this one.
            if (seccomp(SysSeccomp, SeccompSetModeFilter, SeccompFilterFlagTsync, ref fprog) != 0)
                return $"could not be denied (seccomp errno {Marshal.GetLastPInvokeError()})";
        }
        return "denied";
    }

    const int PrSetNoNewPrivs = 38;
    const long SysSeccomp = 317, SeccompSetModeFilter = 1, SeccompFilterFlagTsync = 1;

    [DllImport("libc", SetLastError = true)]
    static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    static extern long seccomp(long number, long operation, long flags, ref SockFprog program);
}
