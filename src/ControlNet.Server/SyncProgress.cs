namespace ControlNet.Server;

/// <summary>Reports on the caller's thread, in order: <see cref="Progress{T}"/> posts to the thread pool and could reorder steps.</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
