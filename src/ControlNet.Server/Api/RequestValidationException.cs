namespace ControlNet.Server.Api;

/// <summary>One bad field of a request: its path as the client wrote it and what is wrong with it.</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>A request the server refuses before queuing it; answered with 422 and the fields named.</summary>
public sealed class RequestValidationException(IReadOnlyList<FieldError> errors)
    : Exception(string.Join(" ", errors.Select(e => $"{e.Field}: {e.Message}")))
{
    public IReadOnlyList<FieldError> Errors { get; } = errors;

    public RequestValidationException(string field, string message) : this([new FieldError(field, message)]) { }

    /// <summary>The same errors with each field renamed (the A1111 endpoints report their own field names).</summary>
    public RequestValidationException Rename(Func<string, string> rename) => new(Errors.Select(e => e with { Field = rename(e.Field) }).ToArray());
}
