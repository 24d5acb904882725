namespace ControlNet.Hub;

/// <summary>
/// Where and how to reach the Hugging Face Hub, read from the same environment variables as huggingface_hub so that
/// files already downloaded by Python tools are reused: HF_ENDPOINT, HF_HOME / HF_HUB_CACHE, HF_TOKEN, HF_HUB_OFFLINE.
/// </summary>
public sealed record HubOptions
{
    public string Endpoint { get; init; } = "https://huggingface.co";
    /// <summary>The hub cache: <c>$HF_HOME/hub</c>, holding <c>models--org--name/{blobs,refs,snapshots}</c>.</summary>
    public string CacheDir { get; init; } = DefaultCacheDir(null);
    public string? Token { get; init; }
    /// <summary>Never touch the network; only files already in the cache are used.</summary>
    public bool Offline { get; init; }
    /// <summary>
    /// Where the one-line notice goes when the hub cannot be reached and a cached revision is used instead (as diffusers
    /// falls back to the cache). Null writes it to standard error.
    /// </summary>
    public Action<string>? Notice { get; init; }

    public static HubOptions FromEnvironment(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var home = env("HF_HOME");
        var token = env("HF_TOKEN");
        if (string.IsNullOrEmpty(token))
        {
            var tokenFile = Path.Combine(home ?? DefaultHfHome(), "token");
            if (File.Exists(tokenFile)) token = File.ReadAllText(tokenFile).Trim();
        }
        var offline = env("HF_HUB_OFFLINE");
        return new HubOptions
        {
            Endpoint = (env("HF_ENDPOINT") is { Length: > 0 } e ? e : "https://huggingface.co").TrimEnd('/'),
            CacheDir = env("HF_HUB_CACHE") is { Length: > 0 } c ? c : DefaultCacheDir(home),
            Token = string.IsNullOrEmpty(token) ? null : token,
            Offline = offline is "1" or "true" or "TRUE" or "True" or "yes" or "ON" or "on",
        };
    }

    static string DefaultHfHome() =>
        Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? Path.Combine(x, "huggingface")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface");

    static string DefaultCacheDir(string? home) => Path.Combine(home ?? DefaultHfHome(), "hub");
}

/// <summary>Progress of one file download.</summary>
public readonly record struct HubProgress(string File, long BytesDone, long? TotalBytes);
