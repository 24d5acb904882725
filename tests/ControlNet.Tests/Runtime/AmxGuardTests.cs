using System.Diagnostics;
using ControlNet.Runtime;
using static TorchSharp.torch;

namespace ControlNet.Tests.Runtime;

/// <summary>
/// On CPUs with Intel AMX, a bf16 attention kernel followed by a null reference on the same thread killed the process
/// (the tile state overflows the .NET runtime's signal stack; see <see cref="AmxGuard"/>). These tests run exactly that:
/// if the guard fails, the test host dies, which fails the run loudly. On CPUs without AMX they check the same
/// behaviour, which then holds by itself.
/// </summary>
public class AmxGuardTests
{
    static string? _nothing;

    [Theory]
    [InlineData("attention")]
    [InlineData("linear")]
    public void A_null_reference_after_a_bf16_kernel_on_the_same_thread_stays_an_exception(string kernel)
    {
        TorchRuntime.EnsureInitialized();
        var caught = 0;
        var thread = new Thread(() =>
        {
            using (var scope = NewDisposeScope())
            {
                var q = randn(2, 8, 256, 64).to_type(ScalarType.BFloat16);   // [B, heads, tokens, head dim]
                var y = kernel == "attention" ? nn.functional.scaled_dot_product_attention(q, q, q) : nn.functional.linear(q, q[0, 0]);
                Assert.True(y.isfinite().all().item<bool>());
            }
            for (var i = 0; i < 100; i++)
            {
                try { _ = _nothing!.Length; }
                catch (NullReferenceException) { caught++; }
            }
        });
        thread.Start();
        thread.Join();
        Assert.Equal(100, caught);
    }

    [Fact]
    public void The_guard_denies_amx_where_the_cpu_has_it_and_yields_to_CONTROLNET_AMX()
    {
        var hasAmx = File.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Contains(" amx_tile", StringComparison.Ordinal));
        Assert.Equal(hasAmx ? "denied" : "not present", AmxGuard.State);
        Assert.Contains($"Intel AMX: {(hasAmx ? "denied" : "not present")}", Version(null));
        Assert.Contains($"Intel AMX: {(hasAmx ? "allowed by CONTROLNET_AMX" : "not present")}", Version("allow"));
    }

    static string Version(string? amx)
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "controlnet.dll"), "version"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment.Remove(AmxGuard.Variable);
        if (amx is not null) info.Environment[AmxGuard.Variable] = amx;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "controlnet version did not finish in 60 s");
        Assert.True(p.ExitCode == 0, stderr.Result);
        return stdout.Result;
    }
}
