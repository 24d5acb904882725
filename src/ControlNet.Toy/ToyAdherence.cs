using ControlNet.Abstractions;
using ControlNet.Training;

namespace ControlNet.Toy;

/// <summary>
/// The toy world's control-adherence check: held-out scenes (another seed than <c>train-data</c>'s default 1, so never
/// trained on) with their condition maps, scored by the mean shape IoU (<see cref="ShapeAdherence"/>) of the generated images.
/// </summary>
public static class ToyAdherence
{
    /// <summary>The seed of the held-out scenes.</summary>
    public const int HeldOutSeed = 424242;

    /// <summary><paramref name="count"/> held-out scenes of <paramref name="size"/> px, conditioned by <paramref name="makeCondition"/> (e.g. canny).</summary>
    public static TrainingPreviews Previews(int count, int size, Func<ConditionImage, ConditionImage> makeCondition)
    {
        ArgumentNullException.ThrowIfNull(makeCondition);
        var scenes = ToyWorld.Generate(count, HeldOutSeed, size);
        return new TrainingPreviews(
            scenes.Select(e => e.Prompt).ToList(),
            scenes.Select(e => makeCondition(ConditionImage.Rgb(e.Size, e.Size, e.Rgb))).ToList(),
            size,
            images => scenes.Select((e, i) => ShapeAdherence.Iou(images[i], e.Mask, size)).Average());
    }
}
