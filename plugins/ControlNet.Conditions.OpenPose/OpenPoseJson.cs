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
                "OpenPose JSON ({\"people\":[{\"pose_keypoints_2d\":[x,y,c,…]}]}), or detects poses in a photo (PNG, JPEG, …) with body_pose_model.pth.", e);
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

/// <summary>Writes detected keypoints in the OpenPose JSON format that <see cref="PoseDocument.Parse"/> reads back.</summary>
public static class OpenPoseJsonWriter
{
    /// <summary>
    /// <c>{"version":1.3,"people":[{"pose_keypoints_2d":[x,y,c,…]}],"canvas_width":W,"canvas_height":H}</c> in pixels;
    /// a missing keypoint is <c>0,0,0</c>. Confidence is the heat-map value at the keypoint (at least 0.001, so that a
    /// found point never reads back as missing).
    /// </summary>
    public static string Write(IReadOnlyList<DetectedPerson> people, int canvasWidth, int canvasHeight)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 1.3);
            json.WriteStartArray("people");
            foreach (var person in people)
            {
                json.WriteStartObject();
                json.WriteStartArray("pose_keypoints_2d");
                foreach (var k in person.Keypoints)
                {
                    json.WriteNumberValue(k?.X ?? 0);
                    json.WriteNumberValue(k?.Y ?? 0);
                    json.WriteNumberValue(k is { } p ? Math.Round(Math.Max(p.Score, 0.001), 6) : 0);
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteNumber("canvas_width", canvasWidth);
            json.WriteNumber("canvas_height", canvasHeight);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
