using System.Text.Json;
using ControlNet.Abstractions;
using static TorchSharp.torch;

namespace ControlNet.Training;

/// <summary>One training row: the target image, its condition map and its caption (fill50k's target/source/prompt).</summary>
public sealed record TrainingExample(ConditionImage Target, ConditionImage Condition, string Prompt);

/// <summary>
/// An in-memory training set and its two on-disk layouts. Image decoding is the host's job (passed in as
/// <c>readImage</c>), so Core stays free of codecs; a <c>makeCondition</c> delegate (a plug-in preprocessor)
/// builds condition maps from the targets on the fly instead of reading them.
/// </summary>
public sealed class TrainingSet(IReadOnlyList<TrainingExample> examples)
{
    public IReadOnlyList<TrainingExample> Examples { get; } = examples.Count > 0 ? examples
        : throw new ArgumentException("The training set is empty; check the dataset folder and its layout (docs/training.md).", nameof(examples));

    public int Count => Examples.Count;

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
        var examples = new List<TrainingExample>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(index))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (limit is { } l && examples.Count >= l) break;
            Row row;
            try { row = JsonSerializer.Deserialize<Row>(line) ?? throw new JsonException("null"); }
            catch (JsonException e) { throw new InvalidDataException($"{index}:{lineNumber} is not a JSON object with source, target and prompt ({e.Message}).", e); }
            if (row.target is null || row.prompt is null || (row.source is null && makeCondition is null))
                throw new InvalidDataException($"{index}:{lineNumber} lacks {(row.target is null ? "target" : row.prompt is null ? "prompt" : "source")}; every line needs source, target and prompt (source may be omitted with --condition).");
            var target = readImage(Path.Combine(folder, row.target)).ToRgb8();
            var condition = makeCondition is not null ? makeCondition(target) : readImage(Path.Combine(folder, row.source!));
            examples.Add(Checked(new TrainingExample(target, condition, row.prompt), $"{index}:{lineNumber}"));
        }
        return new TrainingSet(examples);
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
        var examples = new List<TrainingExample>();
        foreach (var file in Directory.EnumerateFiles(images).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal))
        {
            if (limit is { } l && examples.Count >= l) break;
            var name = Path.GetFileNameWithoutExtension(file);
            var captionFile = Path.Combine(folder, "captions", name + ".txt");
            var caption = File.Exists(captionFile) ? File.ReadAllText(captionFile).Trim() : "";
            var target = readImage(file).ToRgb8();
            ConditionImage condition;
            if (makeCondition is not null) condition = makeCondition(target);
            else
            {
                var conditionFile = Path.Combine(folder, "conditions", name + ".png");
                if (!File.Exists(conditionFile))
                    throw new FileNotFoundException($"Condition map '{conditionFile}' for image '{file}' not found; add it or make maps on the fly with --condition (e.g. canny).", conditionFile);
                condition = readImage(conditionFile);
            }
            examples.Add(Checked(new TrainingExample(target, condition, caption), file));
        }
        return new TrainingSet(examples);
    }

    /// <summary>
    /// A batch as tensors, normalised as the reference (REFERENCE §8): target [B, 3, H, W] in [−1, 1], hint [B, C, H, W] in [0, 1]
    /// (gray maps replicated to <paramref name="hintChannels"/>).
    /// </summary>
    public (Tensor Target, Tensor Hint, string[] Prompts) Batch(IReadOnlyList<int> indices, int hintChannels = 3)
    {
        using var scope = NewDisposeScope();
        var rows = indices.Select(i => Examples[i]).ToList();
        var target = cat(rows.Select(r => r.Target.ToTensor()).ToList(), 0) * 2 - 1;                          // [B, 3, H, W]
        var hint = cat(rows.Select(r => (hintChannels == 3 ? r.Condition.ToRgb8() : r.Condition).ToTensor()).ToList(), 0);   // [B, C, H, W]
        if (hint.shape[1] != hintChannels)
            throw new InvalidDataException($"Condition maps have {hint.shape[1]} channels; this model expects {hintChannels}.");
        return (target.MoveToOuterDisposeScope(), hint.MoveToOuterDisposeScope(), rows.Select(r => r.Prompt).ToArray());
    }

    static TrainingExample Checked(TrainingExample e, string where)
    {
        if (e.Condition.Width != e.Target.Width || e.Condition.Height != e.Target.Height)
            throw new InvalidDataException($"{where}: condition is {e.Condition.Width}×{e.Condition.Height} but the target is {e.Target.Width}×{e.Target.Height}; resize them to the same size.");
        return e;
    }

    sealed record Row(string? source, string? target, string? prompt);
}
