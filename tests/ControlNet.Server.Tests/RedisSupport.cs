using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ControlNet.Server.Tests;

/// <summary>A fact that runs only where Debian's redis-server is installed (.ci/run installs it); skipped with the reason otherwise.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (RedisServer.Binary is null) Skip = "redis-server is not installed (apt-get install redis-server; .ci/run does this).";
    }
}

/// <summary>A private redis-server on a free loopback port, without persistence, stopped on dispose.</summary>
public sealed class RedisServer : IDisposable
{
    public static string? Binary => new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);

    readonly Process _process;
    public int Port { get; }
    public string HostPort => $"127.0.0.1:{Port}";

    public RedisServer()
    {
        Port = FreePort();
        _process = Process.Start(new ProcessStartInfo(Binary!, ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try { using var c = new TcpClient(); c.Connect(IPAddress.Loopback, Port); return; }
            catch (SocketException) { Thread.Sleep(50); }
        }
        throw new InvalidOperationException($"redis-server did not start on port {Port}.");
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
    }
}

/// <summary>A <c>controlnet worker</c> child process (the CLI this test project built).</summary>
public sealed class WorkerProcess : IDisposable
{
    public Process Process { get; }
    public string Name { get; }

    public WorkerProcess(string redis, string prefix, string name, double leaseSeconds = 2, params string[] more)
    {
        Name = name;
        var cli = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cli-path.txt")).Trim();
        var info = new ProcessStartInfo("dotnet", [cli, "worker", "--redis", redis, "--redis-prefix", prefix, "--name", name, "--lease", leaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--quiet", .. more])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process = Process.Start(info)!;
        Process.OutputDataReceived += (_, _) => { };
        Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (Log) Log.Add(e.Data); };
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    public List<string> Log { get; } = [];

    /// <summary>SIGKILL: no cleanup, no acknowledgement; the job it held must be re-claimed by another worker.</summary>
    public void KillHard() => Process.Kill(entireProcessTree: true);

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.WaitForExit();
        Process.Dispose();
    }
}
