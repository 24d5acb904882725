using System.Text.Json;
using ControlNet.Abstractions;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>One training row: the target image, its condition map and its caption (fill50k's target/source/prompt).</summary>
public sealed record TrainingExample(ConditionImage Target, ConditionImage Condition, string Prompt);

/// <summary>
/// A training set and its two on-disk layouts. On-disk rows are decoded when a batch needs them (fill50k at 512 px is
/// tens of GB as pixels), so only the index lives in memory. Image decoding is the host's job (passed in as
/// <c>readImage</c>), so Core stays free of codecs; a <c>makeCondition</c> delegate (a plug-in preprocessor)
/// builds condition maps from the targets on the fly instead of reading them.
/// </summary>
public sealed class TrainingSet
{
    /// <summary>One row: its caption, a stable identity (for the latent cache) and how to load its images.</summary>
    sealed record Row(string Prompt, Func<string> Key, Func<TrainingExample> Load, string Where);

    readonly IReadOnlyList<Row> _rows;

    /// <summary>An in-memory set (the toy world, tests); a row's identity is the hash of its target pixels.</summary>
    public TrainingSet(IReadOnlyList<TrainingExample> examples)
        : this(examples.Select((e, i) => new Row(e.Prompt, () => PixelKey(e.Target), () => e, $"row {i}")).ToList())
    {
    }

    TrainingSet(IReadOnlyList<Row> rows)
    {
        _rows = rows.Count > 0 ? rows
            : throw new ArgumentException("The training set is empty; check the dataset folder and its layout (docs/training.md).", nameof(rows));
    }

    public int Count => _rows.Count;

    /// <summary>The captions, in row order (no image is decoded).</summary>
    public IReadOnlyList<string> Prompts => _rows.Select(r => r.Prompt).ToList();

    /// <summary>Row <paramref name="index"/> decoded, its condition made or read, sizes checked.</summary>
    public TrainingExample Load(int index) => Checked(_rows[index].Load(), _rows[index].Where);

    /// <summary>
    /// A stable identity of row <paramref name="index"/>'s target: file path, length and write time for on-disk rows,
    /// SHA-256 of the pixels for in-memory ones. A changed file gets a new key, so a latent cache never serves a stale latent.
    /// </summary>
    public string Key(int index) => _rows[index].Key();

    static string FileKey(string path)
    {
        var info = new FileInfo(path);
        return $"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}";
    }

    static string PixelKey(ConditionImage image)
    {
        var rgb = image.ToRgb8();
        return $"{rgb.Width}x{rgb.Height}|{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(rgb.Data!))}";
    }

    static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".webp", ".bmp"];

    /// <summary>
    /// The fill50k layout (lllyasviel/ControlNet <c>tutorial_dataset.py</c>): <c>prompt.json</c> with one JSON object per line,
    /// <c>{"source": "source/0.png", "target": "target/0.png", "prompt": "..."}</c>, paths relative to the folder.
    /// With <paramref name="makeCondition"/>, <c>source</c> is ignored and the condition is made from the target.
    /// </summary>
    public static TrainingSet ReadFill50k(string folder, Func<string, ConditionImage> readImage,
        Func<ConditionImage, ConditionImage>? makeCondition = null, int? limit = null)
    {
        var index = Path.Combine(folder, "prompt.json");
        if (!File.Exists(index))
            throw new FileNotFoundException($"'{index}' not found: a fill50k-layout dataset has prompt.json with one {{\"source\", \"target\", \"prompt\"}} object per line. Use --layout folder for images/ + captions/ + conditions/.", index);
        var rows = new List<Row>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(index))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (limit is { } l && rows.Count >= l) break;
            JsonRow row;
            try { row = JsonSerializer.Deserialize<JsonRow>(line) ?? throw new JsonException("null"); }
            catch (JsonException e) { throw new InvalidDataException($"{index}:{lineNumber} is not a JSON object with source, target and prompt ({e.Message}).", e); }
            if (row.target is null || row.prompt is null || (row.source is null && makeCondition is null))
                throw new InvalidDataException($"{index}:{lineNumber} lacks {(row.target is null ? "target" : row.prompt is null ? "prompt" : "source")}; every line needs source, target and prompt (source may be omitted with --condition).");
            var where = $"{index}:{lineNumber}";
            var targetPath = Existing(Path.Combine(folder, row.target), where, "target");
            var sourcePath = makeCondition is null ? Existing(Path.Combine(folder, row.source!), where, "source") : null;
            var prompt = row.prompt;
            rows.Add(new Row(prompt, () => FileKey(targetPath), () =>
            {
                var target = readImage(targetPath).ToRgb8();
                return new TrainingExample(target, makeCondition is not null ? makeCondition(target) : readImage(sourcePath!), prompt);
            }, where));
        }
        return new TrainingSet(rows);
    }

    /// <summary>
    /// The folder layout: <c>images/NAME.png</c> (or .jpg/.webp), caption <c>captions/NAME.txt</c> (missing = empty caption),
    /// condition map <c>conditions/NAME.png</c> (not needed with <paramref name="makeCondition"/>).
    /// </summary>
    public static TrainingSet ReadFolder(string folder, Func<string, ConditionImage> readImage,
        Func<ConditionImage, ConditionImage>? makeCondition = null, int? limit = null)
    {
        var images = Path.Combine(folder, "images");
        if (!Directory.Exists(images))
            throw new DirectoryNotFoundException($"'{images}' not found: the folder layout is images/NAME.png, captions/NAME.txt, conditions/NAME.png. Use --layout fill50k for prompt.json datasets.");
        var rows = new List<Row>();
        foreach (var file in Directory.EnumerateFiles(images).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal))
        {
            if (limit is { } l && rows.Count >= l) break;
            var name = Path.GetFileNameWithoutExtension(file);
            var captionFile = Path.Combine(folder, "captions", name + ".txt");
            var caption = File.Exists(captionFile) ? File.ReadAllText(captionFile).Trim() : "";
            var conditionFile = Path.Combine(folder, "conditions", name + ".png");
            if (makeCondition is null && !File.Exists(conditionFile))
                throw new FileNotFoundException($"Condition map '{conditionFile}' for image '{file}' not found; add it or make maps on the fly with --condition (e.g. canny).", conditionFile);
            rows.Add(new Row(caption, () => FileKey(file), () =>
            {
                var target = readImage(file).ToRgb8();
                return new TrainingExample(target, makeCondition is not null ? makeCondition(target) : readImage(conditionFile), caption);
            }, file));
        }
        return new TrainingSet(rows);
    }

    /// <summary>
    /// A batch as tensors, normalised as the reference (REFERENCE §8): target [B, 3, H, W] in [−1, 1], hint [B, C, H, W] in [0, 1]
    /// (gray maps replicated to <paramref name="hintChannels"/>).
    /// </summary>
    public (Tensor Target, Tensor Hint, string[] Prompts) Batch(IReadOnlyList<int> indices, int hintChannels = 3)
    {
        using var scope = NewDisposeScope();
        var rows = indices.Select(Load).ToList();
        var target = cat(rows.Select(r => r.Target.ToTensor()).ToList(), 0) * 2 - 1;                          // [B, 3, H, W]
        var hint = cat(rows.Select(r => (hintChannels == 3 ? r.Condition.ToRgb8() : r.Condition).ToTensor()).ToList(), 0);   // [B, C, H, W]
        if (hint.shape[1] != hintChannels)
            throw new InvalidDataException($"Condition maps have {hint.shape[1]} channels; this model expects {hintChannels}.");
        return (target.MoveToOuterDisposeScope(), hint.MoveToOuterDisposeScope(), rows.Select(r => r.Prompt).ToArray());
    }

    static string Existing(string path, string where, string field) => File.Exists(path) ? path
        : throw new FileNotFoundException($"{where}: {field} image '{path}' not found; paths in prompt.json are relative to the dataset folder.", path);

    static TrainingExample Checked(TrainingExample e, string where)
    {
        if (e.Condition.Width != e.Target.Width || e.Condition.Height != e.Target.Height)
            throw new InvalidDataException($"{where}: condition is {e.Condition.Width}×{e.Condition.Height} but the target is {e.Target.Width}×{e.Target.Height}; resize them to the same size.");
        return e;
    }

    sealed record JsonRow(string? source, string? target, string? prompt);
}
