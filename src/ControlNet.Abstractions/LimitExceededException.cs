namespace ControlNet.Abstractions;

/// <summary>
/// A request refused by a size limit before any allocation (image pixels, generation memory estimate). It derives from
/// <see cref="ArgumentException"/> because the fix is a smaller value; hosts map it to its own exit code or status.
/// </summary>
public sealed class LimitExceededException(string message) : ArgumentException(message);
