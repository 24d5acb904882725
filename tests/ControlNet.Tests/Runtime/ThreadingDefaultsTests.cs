using System.Diagnostics;

namespace ControlNet.Tests.Runtime;

/// <summary>
/// The OpenMP defaults reach libgomp before libtorch loads and yield to the user's environment. Checked in a fresh
/// <c>controlnet version</c> process (this test host loaded libtorch long ago): OMP_DISPLAY_ENV makes libgomp print the
/// values it read at its own initialisation, which is the only moment its environment counts.
/// </summary>
public class ThreadingDefaultsTests
{
    static (string Out, string Err) Version(IReadOnlyDictionary<string, string?> env)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "controlnet.dll");
        var info = new ProcessStartInfo("dotnet", [cli, "version"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment.Remove("OMP_WAIT_POLICY");
        info.Environment.Remove(ControlNet.Runtime.ThreadingDefaults.DisableVariable);
        info.Environment["OMP_DISPLAY_ENV"] = "VERBOSE";   // also prints GOMP_SPINCOUNT, which tells unset from PASSIVE
        foreach (var (k, v) in env) info.Environment[k] = v;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "controlnet version did not finish in 60 s");
        Assert.True(p.ExitCode == 0, stderr.Result);
        return (stdout.Result, stderr.Result);
    }

    [Fact]
    public void Defaults_reach_OpenMP_before_the_first_tensor_and_yield_to_the_users_environment()
    {
        // libgomp's spin count follows the wait policy it read: 0 for PASSIVE, 3·10¹⁰ for ACTIVE, 300,000 when unset.
        // (OMP_DISPLAY_ENV prints to stderr; search both streams in case a build prints elsewhere.)
        var (o, e) = Version(new Dictionary<string, string?>());
        Assert.Contains("GOMP_SPINCOUNT = '0'", o + e);
        Assert.Contains("OMP_WAIT_POLICY=PASSIVE (default)", o);

        (o, e) = Version(new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = "ACTIVE" });
        Assert.Contains("OMP_WAIT_POLICY = 'ACTIVE'", o + e);
        Assert.Contains("GOMP_SPINCOUNT = '30000000000'", o + e);
        Assert.Contains("OMP_WAIT_POLICY=ACTIVE (environment)", o);

        // The escape hatch leaves libgomp's own default.
        (o, e) = Version(new Dictionary<string, string?> { [ControlNet.Runtime.ThreadingDefaults.DisableVariable] = "off" });
        Assert.Contains("GOMP_SPINCOUNT = '300000'", o + e);
        Assert.Contains("OpenMP's own defaults", o);
    }
}
