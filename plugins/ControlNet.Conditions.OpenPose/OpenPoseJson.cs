using System.Text.Json;

namespace ControlNet.Conditions.OpenPose;

/// <summary>One person's 18 COCO body keypoints; null = missing (confidence 0).</summary>
public sealed record PosePerson(IReadOnlyList<(double X, double Y)?> Keypoints);

/// <summary>Body keypoints read from OpenPose JSON: <c>{"people":[{"pose_keypoints_2d":[x,y,c, …]}], "canvas_width":W, "canvas_height":H}</c>.</summary>
public sealed record PoseDocument(IReadOnlyList<PosePerson> People, int? CanvasWidth, int? CanvasHeight)
{
    public const int KeypointCount = 18;

    public static PoseDocument Parse(ReadOnlySpan<byte> json, string source = "The input")
    {
        // Wrong value types surface as InvalidOperationException or FormatException from JsonElement: all mean "not this format".
        try { return ParseDocument(json); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source} is not OpenPose JSON ({e.Message}). The openpose preprocessor draws keypoints from " +
                "OpenPose JSON ({\"people\":[{\"pose_keypoints_2d\":[x,y,c,…]}]}); it does not detect poses in photos.", e);
        }
    }

    static PoseDocument ParseDocument(ReadOnlySpan<byte> json)
    {
        using var doc = JsonDocument.Parse(json.ToArray());
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("people", out var people) || people.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException("OpenPose JSON needs an object with a \"people\" array, e.g. {\"people\":[{\"pose_keypoints_2d\":[x,y,c,…]}]}.");
        var result = new List<PosePerson>();
        int index = 0;
        foreach (var person in people.EnumerateArray())
        {
            if (!person.TryGetProperty("pose_keypoints_2d", out var kp) || kp.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"people[{index}] has no \"pose_keypoints_2d\" array.");
            var values = kp.EnumerateArray().Select(v => v.GetDouble()).ToArray();
            if (values.Length != KeypointCount * 3)
                throw new InvalidDataException(
                    $"people[{index}].pose_keypoints_2d has {values.Length} numbers; the COCO-18 body model needs {KeypointCount * 3} (x, y, confidence per keypoint). BODY_25 output must be converted to COCO-18 first.");
            var points = new (double, double)?[KeypointCount];
            for (int i = 0; i < KeypointCount; i++)
                points[i] = values[3 * i + 2] > 0 ? (values[3 * i], values[3 * i + 1]) : null;
            result.Add(new PosePerson(points));
            index++;
        }
        int? Int(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
        return new PoseDocument(result, Int("canvas_width"), Int("canvas_height"));
    }
}
