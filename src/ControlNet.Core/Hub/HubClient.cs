using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ControlNet.Hub;

/// <summary>
/// Downloads Hugging Face Hub files into the standard cache layout
/// (<c>models--org--name/blobs/&lt;etag&gt;</c>, <c>refs/&lt;revision&gt;</c>, <c>snapshots/&lt;commit&gt;/&lt;file&gt;</c> → blob),
/// resuming partial downloads with HTTP Range, reporting progress, sending HF_TOKEN, and honouring offline mode.
/// URL shapes: <c>/api/models/{repo}/revision/{rev}</c> and <c>/{repo}/resolve/{rev}/{file}</c>.
/// </summary>
public sealed partial class HubClient : IDisposable
{
    readonly HubOptions _options;
    readonly HttpClient _http;

    public HubClient(HubOptions? options = null, HttpMessageHandler? handler = null)
    {
        _options = options ?? HubOptions.FromEnvironment();
        // Redirects are followed by hand so that the token is never sent to another host (the CDN).
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: true) { Timeout = TimeSpan.FromMinutes(30) };
    }

    public HubOptions Options => _options;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex RepoIdPattern();

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();

    public static bool IsRepoId(string s) => RepoIdPattern().IsMatch(s) && !s.Contains("..", StringComparison.Ordinal);

    /// <summary>The cache folder of a repository: <c>models--org--name</c>.</summary>
    public string RepoFolder(string repoId)
    {
        ValidateRepo(repoId);
        return Path.Combine(_options.CacheDir, "models--" + repoId.Replace("/", "--", StringComparison.Ordinal));
    }

    /// <summary>A revision's commit and files; <paramref name="FromCache"/> when they come from the cache (offline, or the hub unreachable).</summary>
    public sealed record RevisionInfo(string Commit, IReadOnlyList<string> Files, bool FromCache = false);

    /// <summary>
    /// Lists the files of a revision (online), or of the cached snapshot (offline). When the hub cannot be reached and
    /// the revision is cached, the cached snapshot is used and <see cref="HubOptions.Notice"/> gets one line saying so.
    /// </summary>
    public async Task<RevisionInfo> GetRevisionAsync(string repoId, string revision = "main", CancellationToken ct = default)
    {
        ValidateRepo(repoId);
        if (_options.Offline)
            return CachedRevision(repoId, revision);
        try
        {
            return await GetRevisionOnlineAsync(repoId, revision, ct);
        }
        catch (HubUnreachableException e) when (IsCached(repoId, revision))
        {
            var cached = CachedRevision(repoId, revision);
            Notify($"Cannot reach the Hugging Face Hub at {_options.Endpoint} ({e.InnerException?.Message ?? e.Message}); using the cached {repoId}@{revision} (commit {cached.Commit[..Math.Min(10, cached.Commit.Length)]}) from {_options.CacheDir}.");
            return cached;
        }
    }

    RevisionInfo CachedRevision(string repoId, string revision)
    {
        var commit = CachedCommit(repoId, revision);
        var snap = Path.Combine(RepoFolder(repoId), "snapshots", commit);
        if (!Directory.Exists(snap))
            throw new FileNotFoundException($"{repoId}@{revision} (commit {commit}) is not in the cache {_options.CacheDir}. Download it once online (controlnet models download {repoId}).");
        var files = Directory.EnumerateFiles(snap, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(snap, f).Replace('\\', '/')).OrderBy(f => f, StringComparer.Ordinal).ToList();
        return new RevisionInfo(commit, files, FromCache: true);
    }

    bool IsCached(string repoId, string revision)
    {
        if (CommitPattern().IsMatch(revision)) return Directory.Exists(Path.Combine(RepoFolder(repoId), "snapshots", revision));
        var refFile = Path.Combine(RepoFolder(repoId), "refs", revision);
        return File.Exists(refFile) && Directory.Exists(Path.Combine(RepoFolder(repoId), "snapshots", File.ReadAllText(refFile).Trim()));
    }

    void Notify(string line)
    {
        if (_options.Notice is { } notice) notice(line);
        else Console.Error.WriteLine(line);
    }

    async Task<RevisionInfo> GetRevisionOnlineAsync(string repoId, string revision, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Get, $"{_options.Endpoint}/api/models/{repoId}/revision/{Uri.EscapeDataString(revision)}", null, ct);
        await EnsureOk(response, repoId, null, revision);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var sha = doc.RootElement.TryGetProperty("sha", out var s) ? s.GetString() : null;
        if (sha is null || !CommitPattern().IsMatch(sha))
            throw new InvalidDataException($"The hub answered for {repoId}@{revision} without a commit sha; is HF_ENDPOINT ({_options.Endpoint}) a Hugging Face Hub?");
        var list = doc.RootElement.TryGetProperty("siblings", out var sib)
            ? sib.EnumerateArray().Select(x => x.GetProperty("rfilename").GetString()!).ToList()
            : new List<string>();
        WriteRef(repoId, revision, sha);
        return new RevisionInfo(sha, list);
    }

    /// <summary>Downloads one file (or finds it in the cache) and returns its path inside the snapshot folder.</summary>
    public async Task<string> DownloadFileAsync(string repoId, string file, string revision = "main", IProgress<HubProgress>? progress = null, CancellationToken ct = default)
    {
        ValidateRepo(repoId);
        ValidateFile(file);
        var repoDir = RepoFolder(repoId);
        if (_options.Offline)
            return CachedFile(repoId, file, revision);
        try
        {
            return await DownloadFileOnlineAsync(repoId, file, revision, progress, ct);
        }
        catch (HubUnreachableException e) when (IsCached(repoId, revision) && File.Exists(Path.Combine(repoDir, "snapshots", CachedCommit(repoId, revision), file)))
        {
            Notify($"Cannot reach the Hugging Face Hub at {_options.Endpoint} ({e.InnerException?.Message ?? e.Message}); using the cached {repoId}/{file}@{revision} from {_options.CacheDir}.");
            return CachedFile(repoId, file, revision);
        }
    }

    string CachedFile(string repoId, string file, string revision)
    {
        var path = Path.Combine(RepoFolder(repoId), "snapshots", CachedCommit(repoId, revision), file);
        return File.Exists(path) ? path
            : throw new FileNotFoundException($"'{file}' of {repoId}@{revision} is not in the cache {_options.CacheDir} and the hub is {(_options.Offline ? "off (HF_HUB_OFFLINE=1)" : "unreachable")}. Download it once online (controlnet models download {repoId}){(_options.Offline ? " or unset HF_HUB_OFFLINE" : "")}.");
    }

    async Task<string> DownloadFileOnlineAsync(string repoId, string file, string revision, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        var repoDir = RepoFolder(repoId);
        var url = $"{_options.Endpoint}/{repoId}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}";
        string commit, etag;
        long? size;
        using (var head = await SendAsync(HttpMethod.Head, url, null, ct, followRedirects: false))
        {
            if ((int)head.StatusCode is >= 300 and < 400 || head.IsSuccessStatusCode)
            {
                commit = Header(head, "X-Repo-Commit") ?? (CommitPattern().IsMatch(revision) ? revision
                    : throw new InvalidDataException($"The hub did not say which commit {repoId}@{revision} is (no X-Repo-Commit header)."));
                etag = (Header(head, "X-Linked-Etag") ?? head.Headers.ETag?.Tag ?? Header(head, "ETag")
                    ?? throw new InvalidDataException($"The hub sent no ETag for {repoId}/{file}.")).Replace("W/", "", StringComparison.Ordinal).Trim('"');
                size = long.TryParse(Header(head, "X-Linked-Size"), out var ls) ? ls : head.Content.Headers.ContentLength;
            }
            else
            {
                await EnsureOk(head, repoId, file, revision);
                throw new InvalidOperationException("unreachable");
            }
        }
        if (!Regex.IsMatch(etag, "^[A-Za-z0-9_.-]+$")) throw new InvalidDataException($"The hub sent an unusable ETag '{etag}' for {repoId}/{file}.");

        var snapshotPath = Path.Combine(repoDir, "snapshots", commit, file);
        if (!CommitPattern().IsMatch(revision)) WriteRef(repoId, revision, commit);
        var blob = Path.Combine(repoDir, "blobs", etag);
        if (File.Exists(snapshotPath) && File.Exists(blob)) { progress?.Report(new HubProgress(file, new FileInfo(blob).Length, size)); return snapshotPath; }
        if (!File.Exists(blob)) await DownloadBlobAsync(url, blob, file, size, progress, ct);
        else progress?.Report(new HubProgress(file, new FileInfo(blob).Length, size));
        LinkIntoSnapshot(blob, snapshotPath);
        return snapshotPath;
    }

    /// <summary>
    /// Downloads what a model argument needs from a repository and returns the snapshot folder (diffusers repos) or
    /// the single weights file (single-file repos). <paramref name="variant"/> selects e.g. <c>*.fp16.safetensors</c>.
    /// </summary>
    public async Task<string> DownloadModelAsync(string repoId, string revision = "main", string? variant = null, IProgress<HubProgress>? progress = null, CancellationToken ct = default)
    {
        var info = await GetRevisionAsync(repoId, revision, ct);
        var files = ModelFileSelection.Select(repoId, info.Files, variant);
        string? last = null;
        foreach (var f in files)
            last = info.FromCache ? CachedFile(repoId, f, info.Commit) : await DownloadFileAsync(repoId, f, info.Commit, progress, ct);
        var snapshot = Path.Combine(RepoFolder(repoId), "snapshots", info.Commit);
        return files.Count == 1 && !files[0].EndsWith(".json", StringComparison.Ordinal) ? last! : snapshot;
    }

    async Task DownloadBlobAsync(string url, string blob, string file, long? size, IProgress<HubProgress>? progress, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        var partial = blob + ".incomplete";
        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (size is { } known && have > known) { File.Delete(partial); have = 0; }
        using var response = await SendAsync(HttpMethod.Get, url, have > 0 ? new RangeHeaderValue(have, null) : null, ct);
        await EnsureOk(response, null, file, null);
        var append = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
        if (!append) have = 0; // server ignored the Range: start over
        await using (var output = new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        await using (var input = await response.Content.ReadAsStreamAsync(ct))
        {
            var buffer = new byte[1 << 20];
            var lastReport = DateTime.MinValue;
            progress?.Report(new HubProgress(file, have, size));
            int n;
            while ((n = await input.ReadAsync(buffer, ct)) > 0)
            {
                await output.WriteAsync(buffer.AsMemory(0, n), ct);
                have += n;
                if (progress is not null && DateTime.UtcNow - lastReport > TimeSpan.FromMilliseconds(200))
                {
                    lastReport = DateTime.UtcNow;
                    progress.Report(new HubProgress(file, have, size));
                }
            }
        }
        if (size is { } expected && have != expected)
            throw new IOException($"Download of {file} stopped at {have:N0} of {expected:N0} bytes; run the command again to resume.");
        File.Move(partial, blob, overwrite: true);
        progress?.Report(new HubProgress(file, have, size));
    }

    /// <summary>huggingface_hub links snapshot files to blobs with relative symlinks; where that fails, copy.</summary>
    static void LinkIntoSnapshot(string blob, string snapshotPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(snapshotPath)!);
        if (File.Exists(snapshotPath) || new FileInfo(snapshotPath).LinkTarget is not null) File.Delete(snapshotPath);
        try { File.CreateSymbolicLink(snapshotPath, Path.GetRelativePath(Path.GetDirectoryName(snapshotPath)!, blob)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException) { File.Copy(blob, snapshotPath, overwrite: true); }
    }

    string CachedCommit(string repoId, string revision)
    {
        if (CommitPattern().IsMatch(revision)) return revision;
        var refFile = Path.Combine(RepoFolder(repoId), "refs", revision);
        return File.Exists(refFile) ? File.ReadAllText(refFile).Trim()
            : throw new FileNotFoundException($"Offline mode (HF_HUB_OFFLINE=1) and {repoId}@{revision} is not in the cache {_options.CacheDir}. Download it once online (controlnet models download {repoId}) or unset HF_HUB_OFFLINE.");
    }

    void WriteRef(string repoId, string revision, string commit)
    {
        if (CommitPattern().IsMatch(revision)) return;
        var refFile = Path.Combine(RepoFolder(repoId), "refs", revision);
        Directory.CreateDirectory(Path.GetDirectoryName(refFile)!);
        File.WriteAllText(refFile, commit);
    }

    async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, RangeHeaderValue? range, CancellationToken ct, bool followRedirects = true)
    {
        var uri = new Uri(url);
        var home = new Uri(_options.Endpoint);
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, uri);
            request.Headers.UserAgent.ParseAdd("controlnet-dotnet/1.0");
            if (range is not null) request.Headers.Range = range;
            if (_options.Token is not null && uri.Host == home.Host && uri.Port == home.Port)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
            HttpResponseMessage response;
            try { response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct); }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
            {
                throw new HubUnreachableException($"Cannot reach the Hugging Face Hub at {_options.Endpoint} ({e.Message}) and the model is not in the cache {_options.CacheDir}. Check the network or HF_ENDPOINT, or download it once online.", e);
            }
            if (!followRedirects || (int)response.StatusCode is < 300 or >= 400 || response.Headers.Location is null) return response;
            if (hop >= 5) throw new IOException($"Too many redirects downloading {url}.");
            uri = response.Headers.Location.IsAbsoluteUri ? response.Headers.Location : new Uri(uri, response.Headers.Location);
            response.Dispose();
        }
    }

    async Task EnsureOk(HttpResponseMessage r, string? repo, string? file, string? revision)
    {
        if (r.IsSuccessStatusCode) return;
        var what = file is null ? $"{repo}@{revision}" : file;
        throw (int)r.StatusCode switch
        {
            401 or 403 => new UnauthorizedAccessException($"The hub refused access to {what} ({(int)r.StatusCode}). For gated or private models accept the licence on huggingface.co and set HF_TOKEN."),
            404 => new FileNotFoundException($"{what} was not found on {_options.Endpoint} (404). Check the repo id, --revision and file name."),
            _ => new IOException($"The hub answered {(int)r.StatusCode} {r.ReasonPhrase} for {what}: {Trim(await r.Content.ReadAsStringAsync())}"),
        };
    }

    static string Trim(string s) => s.Length > 200 ? s[..200] + "..." : s;

    static string? Header(HttpResponseMessage r, string name) =>
        r.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault()
        : r.Content.Headers.TryGetValues(name, out var c) ? c.FirstOrDefault() : null;

    static void ValidateRepo(string repoId)
    {
        if (!IsRepoId(repoId)) throw new ArgumentException($"'{repoId}' is not a Hugging Face repo id; expected 'org/name' such as lllyasviel/control_v11p_sd15_canny.");
    }

    static void ValidateFile(string file)
    {
        if (file.Length == 0 || file.StartsWith('/') || file.Split('/').Any(p => p is "" or "." or ".."))
            throw new ArgumentException($"'{file}' is not a file path inside a repository.");
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The hub could not be reached at all (no answer), as opposed to an answer that refuses.</summary>
    sealed class HubUnreachableException(string message, Exception inner) : IOException(message, inner);
}
