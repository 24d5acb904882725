using System.Text.Json;
using ControlNet.Abstractions;
using Microsoft.Extensions.Options;
using Spectre.Console.Cli;

namespace ControlNet.Cli;

/// <summary>
/// The one error path of the command: maps every exception to an exit code (docs/cli.md, "Exit codes") and a message
/// of one line per problem. Expected failures carry a message written for the user; anything else is reported as
/// unexpected, with its type, and the stack trace only under --verbose.
/// </summary>
public static class ErrorReport
{
    public static (int ExitCode, string Message) Describe(Exception e)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
        if (e is System.Reflection.TargetInvocationException { InnerException: { } inner }) e = inner;
        return e switch
        {
            CommandParseException or CommandRuntimeException => (ExitCodes.Usage, Error(e.Message)),
            UserFacingException u => (u.ExitCode, Error(u.Message)),
            OptionsValidationException o => (ExitCodes.Usage, string.Join(Environment.NewLine, o.Failures.Select(Error))),
            OperationCanceledException => (ExitCodes.Cancelled, "cancelled"),
            LimitExceededException => (ExitCodes.LimitExceeded, Error(e.Message)),
            UnauthorizedAccessException => (ExitCodes.Failure, Error(e.Message + " Choose a path in a writable folder.")),
            JsonException => (ExitCodes.Failure, Error($"invalid JSON: {e.Message}")),
            InsufficientMemoryException or OutOfMemoryException =>
                (ExitCodes.LimitExceeded, Error($"out of memory ({e.Message}). Use a smaller size or batch, or close other programs.")),
            InvalidOperationException or ArgumentException or IOException or FormatException or InvalidDataException or NotSupportedException
                => (ExitCodes.Failure, Error(e.Message)),
            _ => (ExitCodes.Internal, Error($"unexpected {e.GetType().Name}: {FirstLine(e.Message)}")),
        };
    }

    static string Error(string message) => "error: " + message;

    /// <summary>Native libraries (libtorch, OpenCV) append their own multi-line traces to a message: keep its first line.</summary>
    static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].TrimEnd('\r');
        return line.Length > 2000 ? line[..2000] + "…" : line;
    }
}
