namespace ControlNet.Cli.Generation;

/// <summary>Reports on the caller's thread, in order (System.Progress posts to the thread pool, which can reorder steps).</summary>
sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
