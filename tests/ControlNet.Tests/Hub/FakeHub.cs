using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ControlNet.Tests.Hub;

/// <summary>
/// A local stand-in for the Hugging Face Hub on 127.0.0.1 answering the same URL shapes:
/// GET /api/models/{repo}/revision/{rev}, HEAD/GET /{repo}/resolve/{rev}/{file} (LFS files via a 302 to /cdn/{sha}),
/// with Range support, optional token requirement, and a switch that cuts the next download in half.
/// </summary>
public sealed class FakeHub : IDisposable
{
    readonly HttpListener _listener = new();
    readonly Dictionary<string, Dictionary<string, byte[]>> _repos = new();
    readonly Task _loop;
    public string Commit { get; } = "0123456789abcdef0123456789abcdef01234567";
    public string Endpoint { get; }
    public string? RequiredToken { get; set; }
    /// <summary>The next GET of file bytes sends half of them and drops the connection.</summary>
    public bool CutNextDownload { get; set; }
    public ConcurrentQueue<string> Log { get; } = new();

    public FakeHub()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(Serve);
    }

    public void Add(string repo, string file, byte[] content)
    {
        if (!_repos.TryGetValue(repo, out var files)) _repos[repo] = files = new();
        files[file] = content;
    }

    static string Sha(byte[] b) => Convert.ToHexString(SHA256.HashData(b)).ToLowerInvariant();
    static bool IsLfs(string file) => !file.EndsWith(".json", StringComparison.Ordinal);

    async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            try { Handle(ctx); }
            catch (Exception) { try { ctx.Response.Abort(); } catch (Exception) { } }
        }
    }

    void Handle(HttpListenerContext ctx)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        var path = Uri.UnescapeDataString(req.Url!.AbsolutePath);
        Log.Enqueue($"{req.HttpMethod} {path} auth={req.Headers["Authorization"]} range={req.Headers["Range"]}");
        if (RequiredToken is not null && req.Headers["Authorization"] != "Bearer " + RequiredToken && !path.StartsWith("/cdn/", StringComparison.Ordinal))
        {
            res.StatusCode = 401;
            res.Close();
            return;
        }
        var parts = path.Trim('/').Split('/');
        if (parts is ["api", "models", var org, var name, "revision", _] && _repos.TryGetValue(org + "/" + name, out var listing))
        {
            var siblings = string.Join(",", listing.Keys.Select(f => $"{{\"rfilename\":\"{f}\"}}"));
            Send(res, Encoding.UTF8.GetBytes($"{{\"id\":\"{org}/{name}\",\"sha\":\"{Commit}\",\"siblings\":[{siblings}]}}"), null, req.HttpMethod);
            return;
        }
        if (parts.Length >= 5 && parts[2] == "resolve" && _repos.TryGetValue(parts[0] + "/" + parts[1], out var files)
            && files.TryGetValue(string.Join('/', parts[4..]), out var content))
        {
            var file = string.Join('/', parts[4..]);
            res.Headers["X-Repo-Commit"] = Commit;
            if (IsLfs(file))
            {
                res.Headers["X-Linked-Etag"] = $"\"{Sha(content)}\"";
                res.Headers["X-Linked-Size"] = content.Length.ToString();
                res.StatusCode = 302;
                res.Headers["Location"] = "/cdn/" + Sha(content);
                res.Close();
                return;
            }
            res.Headers["ETag"] = $"\"{Sha(content)[..40]}\"";
            Send(res, content, req.Headers["Range"], req.HttpMethod);
            return;
        }
        if (parts is ["cdn", var sha])
        {
            var blob = _repos.Values.SelectMany(r => r.Values).FirstOrDefault(b => Sha(b) == sha);
            if (blob is not null) { Send(res, blob, req.Headers["Range"], req.HttpMethod); return; }
        }
        res.StatusCode = 404;
        res.Close();
    }

    void Send(HttpListenerResponse res, byte[] body, string? range, string method)
    {
        var start = 0;
        if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = int.Parse(range[6..^1]);
            res.StatusCode = 206;
            res.Headers["Content-Range"] = $"bytes {start}-{body.Length - 1}/{body.Length}";
        }
        res.ContentLength64 = body.Length - start;
        if (method == "HEAD") { res.Close(); return; }
        if (CutNextDownload && body.Length > 1000)
        {
            CutNextDownload = false;
            res.OutputStream.Write(body, start, (body.Length - start) / 2);
            res.OutputStream.Flush();
            res.Abort();
            return;
        }
        res.OutputStream.Write(body, start, body.Length - start);
        res.Close();
    }

    bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
    }
}
