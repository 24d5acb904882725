using ControlNet.Abstractions;
using ControlNet.Checkpoints;
using ControlNet.Hub;
using static TorchSharp.torch;

namespace ControlNet.Annotators;

/// <summary>Where annotator weights are looked for, and whether a missing one may be downloaded.</summary>
public sealed record AnnotatorFileOptions
{
    /// <summary>A folder holding the files by name (<c>DIR/ControlNetHED.pth</c>, or the reference layout <c>DIR/ckpts/…</c>); null = none.</summary>
    public string? Folder { get; init; }
    /// <summary>Download a missing file from <see cref="ModelFile.Url"/>'s repository through the hub cache (off by default: no surprise downloads).</summary>
    public bool Download { get; init; }
    /// <summary>Hub settings; defaults to the environment (HF_HOME, HF_HUB_CACHE, HF_TOKEN, HF_HUB_OFFLINE, HF_ENDPOINT).</summary>
    public HubOptions? Hub { get; init; }
}

/// <summary>
/// The host's <see cref="IModelFileProvider"/>: finds an annotator file in the user's folder, then in the Hugging Face cache
/// of <c>lllyasviel/Annotators</c> (any snapshot), then downloads it when allowed; loads it with the restricted unpickler
/// (<see cref="WeightsFile"/>) and the strict key/shape check (<see cref="StrictLoader"/>).
/// </summary>
public sealed class AnnotatorFiles(AnnotatorFileOptions? options = null) : IModelFileProvider
{
    readonly AnnotatorFileOptions _options = options ?? new AnnotatorFileOptions();

    HubOptions Hub => _options.Hub ?? HubOptions.FromEnvironment();

    public string Locate(ModelFile file)
    {
        var searched = Candidates(file).ToList();
        var found = searched.FirstOrDefault(File.Exists);
        if (found is not null) return found;
        if (_options.Download && RepoOf(file) is { } repo)
        {
            using var hub = new HubClient(Hub);
            return hub.DownloadFileAsync(repo, file.Name).GetAwaiter().GetResult();
        }
        var repoName = RepoOf(file);
        throw new FileNotFoundException(
            $"Annotator weights {file.Describe()} not found in: {string.Join(", ", searched.Select(Path.GetDirectoryName).Distinct())}. " +
            "Put the file in a folder and pass it as --annotator-path DIR (AnnotatorPath in the options)" +
            (repoName is null ? "." : $", or allow the download from {repoName} with --download-annotators."), file.Name);
    }

    public void LoadInto(nn.Module module, ModelFile file, Func<string, string>? rename = null)
    {
        var path = Locate(file);
        using var sd = OpenChecked(path, file);
        IReadOnlyDictionary<string, TensorRef> weights = rename is null ? sd
            : sd.Tensors.Select(t => t.As(rename(t.Name))).ToDictionary(t => t.Name, StringComparer.Ordinal);
        StrictLoader.Load(module, weights, $"{file.Name} from {path}",
            $"'{path}' is not the public {file.Name}{(file.Url is null ? "" : $" ({file.Url})")}; replace it with the original file.");
    }

    // Truncated or corrupt files fail inside the zip / safetensors readers; say which file and how to fix it in one line.
    static StateDict OpenChecked(string path, ModelFile file)
    {
        try { return WeightsFile.Open(path); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or NotSupportedException or IOException and not FileNotFoundException)
        {
            throw new InvalidDataException($"Annotator weights '{path}' cannot be read ({e.Message.TrimEnd('.')}). Re-download {file.Describe()}.", e);
        }
    }

    IEnumerable<string> Candidates(ModelFile file)
    {
        if (_options.Folder is { } folder)
        {
            yield return Path.Combine(folder, file.Name);
            yield return Path.Combine(folder, "ckpts", file.Name); // the reference repositories' annotator/ckpts/
        }
        if (RepoOf(file) is { } repo)
        {
            string snapshots;
            using (var hub = new HubClient(Hub)) snapshots = Path.Combine(hub.RepoFolder(repo), "snapshots");
            var inCache = Directory.Exists(snapshots)
                ? Directory.EnumerateDirectories(snapshots).Select(s => Path.Combine(s, file.Name)).Where(File.Exists).ToList()
                : [];
            if (inCache.Count > 0) foreach (var p in inCache) yield return p;
            else yield return Path.Combine(snapshots, "<commit>", file.Name);
        }
    }

    /// <summary>The hub repository of a file whose URL is <c>https://huggingface.co/org/name/resolve/…</c>.</summary>
    static string? RepoOf(ModelFile file)
    {
        if (file.Url is not { Host: "huggingface.co" } url) return null;
        var parts = url.AbsolutePath.Trim('/').Split('/');
        return parts.Length >= 4 && parts[2] == "resolve" ? parts[0] + "/" + parts[1] : null;
    }
}
