using System.Text.Json;

namespace ControlNet.Conditions.OpenPose;

/// <summary>
/// One person's 18 COCO body keypoints, and the 21 points of each hand and the 70 face landmarks when known (null = not
/// detected); a missing point is null (confidence 0).
/// </summary>
public sealed record PosePerson(IReadOnlyList<(double X, double Y)?> Keypoints)
{
    public IReadOnlyList<(double X, double Y)?>? LeftHand { get; init; }
    public IReadOnlyList<(double X, double Y)?>? RightHand { get; init; }
    public IReadOnlyList<(double X, double Y)?>? Face { get; init; }

    /// <summary>Every known point: body, hands, face.</summary>
    public IEnumerable<(double X, double Y)?> AllPoints =>
        Keypoints.Concat(LeftHand ?? []).Concat(RightHand ?? []).Concat(Face ?? []);

    /// <summary>The same person with every point mapped by <paramref name="map"/>.</summary>
    public PosePerson Map(Func<(double X, double Y), (double X, double Y)> map)
    {
        IReadOnlyList<(double X, double Y)?>? Each(IReadOnlyList<(double X, double Y)?>? points) =>
            points?.Select(k => k is { } v ? map(v) : ((double, double)?)null).ToArray();
        return new PosePerson(Each(Keypoints)!) { LeftHand = Each(LeftHand), RightHand = Each(RightHand), Face = Each(Face) };
    }
}

/// <summary>
/// Keypoints read from OpenPose JSON: <c>{"people":[{"pose_keypoints_2d":[x,y,c, …], "hand_left_keypoints_2d":[…],
/// "hand_right_keypoints_2d":[…], "face_keypoints_2d":[…]}], "canvas_width":W, "canvas_height":H}</c>. The hand and face
/// arrays are optional (missing, null or empty = not detected).
/// </summary>
public sealed record PoseDocument(IReadOnlyList<PosePerson> People, int? CanvasWidth, int? CanvasHeight)
{
    public const int KeypointCount = 18;
    public const int HandKeypointCount = 21;
    public const int FaceKeypointCount = 70;

    /// <summary>The A1111 extension writes one more face point (from the background map) and may leave missing ones out.</summary>
    public const int MaxFaceKeypoints = 71;

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
            result.Add(new PosePerson(Points(values))
            {
                LeftHand = Part(person, index, "hand_left_keypoints_2d", HandKeypointCount, HandKeypointCount),
                RightHand = Part(person, index, "hand_right_keypoints_2d", HandKeypointCount, HandKeypointCount),
                Face = Part(person, index, "face_keypoints_2d", 1, MaxFaceKeypoints),
            });
            index++;
        }
        int? Int(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
        return new PoseDocument(result, Int("canvas_width"), Int("canvas_height"));
    }

    static (double X, double Y)?[] Points(double[] values)
    {
        var points = new (double, double)?[values.Length / 3];
        for (int i = 0; i < points.Length; i++)
            points[i] = values[3 * i + 2] > 0 ? (values[3 * i], values[3 * i + 1]) : null;
        return points;
    }

    // An optional hand or face array: absent, null or [] = not detected; otherwise x, y, c triples, between min and max of them.
    static (double X, double Y)?[]? Part(JsonElement person, int index, string name, int min, int max)
    {
        if (!person.TryGetProperty(name, out var kp) || kp.ValueKind == JsonValueKind.Null) return null;
        if (kp.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"people[{index}].{name} is not an array of numbers.");
        var values = kp.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        if (values.Length == 0) return null;
        if (values.Length % 3 != 0 || values.Length < 3 * min || values.Length > 3 * max)
            throw new InvalidDataException(min == max
                ? $"people[{index}].{name} has {values.Length} numbers; a hand needs {3 * min} (x, y, confidence for each of {min} points)."
                : $"people[{index}].{name} has {values.Length} numbers; the face needs x, y, confidence for each of its {FaceKeypointCount} landmarks ({3 * FaceKeypointCount} numbers).");
        return Points(values);
    }
}

/// <summary>Writes detected keypoints in the OpenPose JSON format that <see cref="PoseDocument.Parse"/> reads back.</summary>
public static class OpenPoseJsonWriter
{
    /// <summary>
    /// <c>{"version":1.3,"people":[{"pose_keypoints_2d":[x,y,c,…]}],"canvas_width":W,"canvas_height":H}</c> in pixels;
    /// a missing keypoint is <c>0,0,0</c>. Confidence is the heat-map value at the keypoint (at least 0.001, so that a
    /// found point never reads back as missing). With <see cref="PoseParts.Face"/> each person also has
    /// <c>face_keypoints_2d</c> (70 points), with <see cref="PoseParts.Hands"/> <c>hand_left_keypoints_2d</c> and
    /// <c>hand_right_keypoints_2d</c> (21 points each), in OpenPose's key order; a part that was not found is all zeros.
    /// </summary>
    public static string Write(IReadOnlyList<DetectedPerson> people, int canvasWidth, int canvasHeight, PoseParts parts = PoseParts.Body)
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
                WritePoints(json, "pose_keypoints_2d", person.Keypoints.Select(k => k is { } p ? new PartKeypoint(p.X, p.Y, p.Score) : (PartKeypoint?)null));
                if (parts.HasFlag(PoseParts.Face))
                    WritePoints(json, "face_keypoints_2d", person.Face ?? new PartKeypoint?[PoseDocument.FaceKeypointCount]);
                if (parts.HasFlag(PoseParts.Hands))
                {
                    WritePoints(json, "hand_left_keypoints_2d", person.LeftHand ?? new PartKeypoint?[PoseDocument.HandKeypointCount]);
                    WritePoints(json, "hand_right_keypoints_2d", person.RightHand ?? new PartKeypoint?[PoseDocument.HandKeypointCount]);
                }
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteNumber("canvas_width", canvasWidth);
            json.WriteNumber("canvas_height", canvasHeight);
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    static void WritePoints(Utf8JsonWriter json, string name, IEnumerable<PartKeypoint?> points)
    {
        json.WriteStartArray(name);
        foreach (var k in points)
        {
            json.WriteNumberValue(k?.X ?? 0);
            json.WriteNumberValue(k?.Y ?? 0);
            json.WriteNumberValue(k is { } p ? Math.Round(Math.Max(p.Score, 0.001), 6) : 0);
        }
        json.WriteEndArray();
    }
}
