namespace ControlNet.Cli;

/// <summary>Documented exit codes of the controlnet command (README, docs/cli.md).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The operation failed: bad input file, model mismatch, I/O error. The message says why.</summary>
    public const int Failure = 1;
    /// <summary>The command line could not be parsed or an option value is invalid.</summary>
    public const int Usage = 2;
    /// <summary>A limit refused the work before it started: image pixels, generation memory estimate, pickle or archive bounds.</summary>
    public const int LimitExceeded = 3;
    /// <summary>An unexpected error (a bug, or a plug-in failing in a way it does not describe); rerun with --verbose for the stack trace.</summary>
    public const int Internal = 70;
    /// <summary>Cancelled (Ctrl+C); partial outputs were not written.</summary>
    public const int Cancelled = 130;
}

/// <summary>An error whose message is written for the user as is (no stack trace).</summary>
public sealed class UserFacingException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
