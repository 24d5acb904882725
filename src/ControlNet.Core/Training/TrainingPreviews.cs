using ControlNet.Abstractions;

namespace ControlNet.Training;

/// <summary>
/// What a training run samples at every sample step: prompts with their condition maps (all <see cref="Size"/> ×
/// <see cref="Size"/>), and optionally an adherence metric scoring the generated images (RGB bytes, in order) against
/// what the conditions asked for, e.g. the toy world's shape IoU. Held-out previews judge control honestly.
/// </summary>
public sealed record TrainingPreviews(IReadOnlyList<string> Prompts, IReadOnlyList<ConditionImage> Conditions, int Size,
    Func<IReadOnlyList<byte[]>, double>? Adherence = null)
{
    /// <summary>The first <paramref name="count"/> rows of the dataset, at the dataset's (square) image size; no metric.</summary>
    public static TrainingPreviews FromData(TrainingSet data, int count = 8)
    {
        ArgumentNullException.ThrowIfNull(data);
        var rows = Enumerable.Range(0, Math.Min(count, data.Count)).Select(data.Load).ToList();
        var first = rows[0].Target;
        if (first.Width != first.Height)
            throw new ArgumentException($"Sample previews are square, but the dataset's images are {first.Width}×{first.Height}; turn samples off (--no-samples); training itself takes any size divisible by the VAE factor.");
        return new TrainingPreviews(rows.Select(r => r.Prompt).ToList(), rows.Select(r => r.Condition).ToList(), first.Width);
    }
}
