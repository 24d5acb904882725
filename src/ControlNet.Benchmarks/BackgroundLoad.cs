namespace ControlNet.Benchmarks;

/// <summary>
/// <c>bench --background-load N</c>: N threads that spin on the CPU for the whole run, standing in for other busy
/// processes on a shared machine (the load the threading defaults are chosen against). They do integer work only and
/// touch no memory, so they compete for cores, not for caches or memory bandwidth.
/// </summary>
internal sealed class BackgroundLoad : IDisposable
{
    readonly Thread[] _threads;
    volatile bool _stop;

    public BackgroundLoad(int threads)
    {
        _threads = new Thread[threads];
        for (int i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Spin) { IsBackground = true, Name = $"bench-background-load-{i}" };
            _threads[i].Start();
        }
    }

    public int Threads => _threads.Length;

    void Spin()
    {
        ulong x = 88172645463325252UL;
        while (!_stop)
            for (int i = 0; i < 1_000_000; i++)
            {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;       // xorshift: busy, branch-free, no memory traffic
            }
        GC.KeepAlive(x);
    }

    public void Dispose()
    {
        _stop = true;
        foreach (var t in _threads) t.Join();
    }
}
