using System.Diagnostics;

namespace ControlNet.IntegrationTests;

internal sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
{
    public string All => StdOut + "\n" + StdErr;
}

/// <summary>Runs a program to completion and captures its output (with a timeout that fails the test, not the run).</summary>
internal static class ProcessRunner
{
    public static ProcessResult Run(string file, string arguments, string? workingDirectory = null,
        IDictionary<string, string>? environment = null, int timeoutSeconds = 600)
    {
        var psi = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (environment != null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {arguments}' did not finish in {timeoutSeconds} s");
        }
        return new ProcessResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
