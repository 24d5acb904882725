using System.Globalization;
using System.Text;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using ControlNet.Conditions.OpenPose;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

public class OpenPoseHandFaceTests
{
    [Fact]
    public void Parameter_names_and_shapes_are_those_of_hand_pose_model_pth_and_facenet_pth()
    {
        TorchRuntime.EnsureInitialized();
        foreach (var (net, maps) in new[] { (CpmKeypointNetwork.Hand(), 22L), (CpmKeypointNetwork.Face(), 71L) })
            using (net)
            {
                var sd = net.state_dict();
                Assert.Equal(2 * (15 + 2 + 5 * 7), sd.Count); // front end 15 convs, stage 1: 2, stages 2–6: 5×7; weight + bias each
                Assert.Equal([64L, 3, 3, 3], sd["conv1_1.weight"].shape);
                Assert.Equal([512L, 512, 3, 3], sd["conv4_3.weight"].shape);
                Assert.Equal([512L, 512, 3, 3], sd["conv5_2.weight"].shape);
                Assert.Equal([128L, 512, 3, 3], sd["conv5_3_CPM.weight"].shape);
                Assert.Equal([512L, 128, 1, 1], sd["conv6_1_CPM.weight"].shape);
                Assert.Equal([maps, 512, 1, 1], sd["conv6_2_CPM.weight"].shape);
                Assert.Equal([128L, maps + 128, 7, 7], sd["Mconv1_stage2.weight"].shape); // 150 hand, 199 face
                Assert.Equal([maps, 128, 1, 1], sd["Mconv7_stage6.weight"].shape);
                Assert.Equal([maps], sd["Mconv7_stage6.bias"].shape);
            }
    }

    [Fact]
    public void Random_weights_saved_as_pth_load_back_strictly_and_run_on_a_photo()
    {
        TorchRuntime.EnsureInitialized();
        OpenCvNative.EnsureLoaded();
        using var dir = new TempDir();
        manual_seed(5);
        using (var hand = CpmKeypointNetwork.Hand())
        {
            using (var x = randn(1, 3, 64, 48))
            using (no_grad())
            using (var maps = hand.call(x))
                Assert.Equal([1L, 22, 8, 6], maps.shape);
            AnnotatorWeights.Save(hand, dir["hand_pose_model.pth"]);
        }
        using (var face = CpmKeypointNetwork.Face()) AnnotatorWeights.Save(face, dir["facenet.pth"]);
        var files = AnnotatorWeights.Provider(dir.Path);

        using var photo = Cv2.ImRead(TestImages.Path("astronaut-256.png"), ImreadModes.Color); // BGR, as the networks read
        using (var hand = CpmKeypointNetwork.Hand())
        {
            files.LoadInto(hand, PosePreprocessor.HandWeights);
            using var crop = new Mat(photo, new Rect(100, 60, 90, 90)).Clone();
            var maps = HandPoseEstimator.Heatmaps(hand, crop, [0.1, 0.2]); // 36² and 73² (padded to 80²), not the reference's 184²…736²
            Assert.Equal(22, maps.Length);
            Assert.All(maps, m => Assert.Equal((128, 128, MatType.CV_32FC1), (m.Cols, m.Rows, m.Type())));
            Assert.All(maps, m => Assert.True(Cv2.CountNonZero(m) > 0));
            foreach (var m in maps) m.Dispose();
            Assert.Equal(21, HandPoseEstimator.Detect(hand, crop, [0.1]).Length);
        }
        using (var face = CpmKeypointNetwork.Face())
        {
            files.LoadInto(face, PosePreprocessor.FaceWeights);
            using var crop = new Mat(photo, new Rect(90, 30, 50, 40)).Clone(); // cut at an edge, the reference's face crops are not square
            var maps = FacePoseEstimator.Heatmaps(face, crop, inputSize: 64);
            Assert.Equal(71 * 40 * 50, maps.Length);
            Assert.All(maps, v => Assert.True(float.IsFinite(v)));
            Assert.Equal(70, FacePoseEstimator.Detect(face, crop, inputSize: 64).Length);
        }

        // The other network's file is refused, naming a mis-shaped key.
        using (var hand = CpmKeypointNetwork.Hand())
        {
            File.Move(dir["hand_pose_model.pth"], dir["hand.bak"]);
            File.Copy(dir["facenet.pth"], dir["hand_pose_model.pth"]);
            var e = Assert.ThrowsAny<Exception>(() => files.LoadInto(hand, PosePreprocessor.HandWeights));
            Assert.Contains("conv6_2_CPM", e.Message);
        }
    }

    [Fact]
    public void Openpose_full_loads_the_three_files_strictly_and_runs_on_a_photo()
    {
        TorchRuntime.EnsureInitialized();
        using var dir = new TempDir();
        manual_seed(7);
        using (var body = new BodyPoseNetwork()) AnnotatorWeights.Save(body, dir["body_pose_model.pth"]);
        using (var hand = CpmKeypointNetwork.Hand()) AnnotatorWeights.Save(hand, dir["hand_pose_model.pth"]);
        using (var face = CpmKeypointNetwork.Face()) AnnotatorWeights.Save(face, dir["facenet.pth"]);
        // Random bodies rarely pass the association, so the people found, if any, are only checked to read back.
        var map = new PosePreprocessor(PoseParts.Full).Run(AnnotatorWeights.Photo(dir.Path), new Dictionary<string, string> { ["detect-resolution"] = "64" });
        Assert.Equal((64, 64, 3), (map.Width, map.Height, map.Channels));
        var doc = PoseDocument.Parse(Encoding.UTF8.GetBytes(map.Json!));
        Assert.Equal((64, 64), (doc.CanvasWidth, doc.CanvasHeight));
        Assert.Equal(map.Data, DrawJson(PoseParts.Full, map.Json!).Data);
    }

    [Fact]
    public void Hands_and_face_are_found_in_the_boxes_of_a_hand_made_body()
    {
        TorchRuntime.EnsureInitialized();
        OpenCvNative.EnsureLoaded();
        manual_seed(11);
        using var hand = CpmKeypointNetwork.Hand();
        using var face = CpmKeypointNetwork.Face();
        // Lift the random maps above the thresholds so that every keypoint has a peak somewhere.
        using (no_grad())
        {
            hand.state_dict()["Mconv7_stage6.bias"].add_(1.0);
            face.state_dict()["Mconv7_stage6.bias"].add_(1.0);
        }
        var body = new PosePeak?[18];
        void Set(int i, int x, int y) => body[i] = new PosePeak(x, y, 0.9, i);
        Set(0, 128, 60); Set(1, 128, 100); Set(14, 120, 52); Set(15, 136, 52); Set(16, 110, 58); Set(17, 146, 58);
        Set(2, 100, 100); Set(3, 90, 140); Set(4, 85, 175);    // right arm
        Set(5, 156, 100); Set(6, 166, 140); Set(7, 171, 175);  // left arm
        var person = new DetectedPerson(body, 10, 12);

        using var bgr = Cv2.ImRead(TestImages.Path("astronaut-256.png"), ImreadModes.Color);
        var found = HandFaceEstimator.Detect(person, bgr, hand, face, handScales: [0.1], faceInputSize: 64);

        var keypoints = person.ToPosePerson().Keypoints;
        var boxes = PartBoxes.Hands(keypoints, 256, 256);
        Assert.Equal(2, boxes.Count);
        foreach (var box in boxes)
        {
            var points = (box.IsLeft ? found.LeftHand : found.RightHand)!;
            Assert.Equal(21, points.Count);
            Assert.Contains(points, p => p is not null);
            foreach (var p in points.OfType<PartKeypoint>())
                Assert.True(p.X > box.X && p.X < box.X + box.Side && p.Y > box.Y && p.Y < box.Y + box.Side, $"{p} outside {box}");
        }
        var f = PartBoxes.Face(keypoints, 256, 256)!.Value;
        Assert.Equal(70, found.Face!.Count);
        Assert.Contains(found.Face, p => p is not null);
        foreach (var p in found.Face.OfType<PartKeypoint>())
            Assert.True(p.X > f.X && p.X < f.X + f.Side && p.Y > f.Y && p.Y < f.Y + f.Side, $"{p} outside {f}");
        Assert.Equal(person.Keypoints, found.Keypoints);
    }

    static (double X, double Y)?[] Body(params (int Index, double X, double Y)[] points)
    {
        var body = new (double X, double Y)?[18];
        foreach (var (i, x, y) in points) body[i] = (x, y);
        return body;
    }

    [Fact]
    public void Hand_boxes_follow_the_reference_handDetect()
    {
        // Left arm straight down: centre (100, 200 + 0.33·40), side 1.5·max(40, 0.9·60) = 81, corner (59.5, 172.7).
        // Right arm: centre (10 − 0.33·20, 150 + 0.33·20), side 1.5·max(√800, 0.9·√1800) = 57.28, corner clamped to x = 0.
        var body = Body((5, 100, 100), (6, 100, 160), (7, 100, 200), (2, 60, 100), (3, 30, 130), (4, 10, 150));
        Assert.Equal([new HandBox(59, 172, 81, true), new HandBox(0, 127, 57, false)], PartBoxes.Hands(body, 400, 400));
        // At the bottom edge the side shrinks to 200 − 172.7 = 27.3; at 190 it would be 17.3 < 20 and the hand is dropped.
        Assert.Equal(new HandBox(59, 172, 27, true), PartBoxes.Hands(body, 400, 200)[0]);
        Assert.DoesNotContain(PartBoxes.Hands(body, 400, 190), b => b.IsLeft);
        // An arm without its elbow has no hand.
        body[6] = null;
        Assert.Equal([false], PartBoxes.Hands(body, 400, 400).Select(b => b.IsLeft));
    }

    [Fact]
    public void The_face_box_follows_the_reference_faceDetect()
    {
        // Half-side = max(3·10, 3·12, 1.5·25) = 37.5 around the nose (200, 100): corner (162.5, 62.5), side 75.
        var body = Body((0, 200, 100), (14, 190, 95), (15, 212, 96), (16, 175, 100));
        Assert.Equal(new FaceBox(162, 62, 75), PartBoxes.Face(body, 400, 400));
        // Corner + half-side past the right edge (200 > 190): the side becomes 190 − 162.5.
        Assert.Equal(new FaceBox(162, 62, 27), PartBoxes.Face(body, 190, 400));
        // Corner + half-side inside (200 ≤ 230) but corner + side outside: the reference keeps 75; the crop is cut.
        Assert.Equal(new FaceBox(162, 62, 75), PartBoxes.Face(body, 230, 400));
        Assert.Null(PartBoxes.Face(Body((14, 190, 95), (15, 212, 96)), 400, 400));  // no nose
        Assert.Null(PartBoxes.Face(Body((0, 200, 100), (1, 200, 150)), 400, 400)); // no eyes or ears
    }

    static void Blob(Mat map, int cx, int cy, double amplitude, double sigma)
    {
        int rows = map.Rows, cols = map.Cols;
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++)
                map.At<float>(y, x) += (float)(amplitude * Math.Exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sigma * sigma)));
    }

    [Fact]
    public void A_hand_peak_is_the_maximum_of_the_region_with_the_largest_sum()
    {
        OpenCvNative.EnsureLoaded();
        using var map = new Mat(128, 128, MatType.CV_32FC1, Scalar.All(0));
        Blob(map, 30, 40, 0.6, 3);  // broad: smoothed 0.3, sum ≈ 0.6·2π·9 ≈ 34
        Blob(map, 90, 100, 0.9, 1); // the highest value, but smoothed 0.09 over a small region, sum ≈ 5.7
        var peak = HandPoseEstimator.Peak(map, 256, 96);
        Assert.NotNull(peak);
        Assert.Equal((60, 30), (peak.Value.X, peak.Value.Y)); // (30·256/128, 40·96/128)
        Assert.Equal(0.6, peak.Value.Score, 5);

        // Nothing above 0.05 after smoothing: no keypoint.
        using var flat = new Mat(128, 128, MatType.CV_32FC1, Scalar.All(0.04));
        Assert.Null(HandPoseEstimator.Peak(flat, 256, 256));
    }

    [Fact]
    public void A_face_peak_is_the_first_maximum_above_the_threshold()
    {
        var map = new float[6 * 4]; // 6 wide, 4 high
        Assert.Null(FacePoseEstimator.Peak(map, 6));
        map[1 * 6 + 2] = 0.05f;     // not above 0.05
        Assert.Null(FacePoseEstimator.Peak(map, 6));
        map[2 * 6 + 4] = 0.7f;
        map[3 * 6 + 1] = 0.7f;      // a tie later in raster order
        map[0 * 6 + 5] = 0.3f;
        Assert.Equal(new PartKeypoint(4, 2, 0.7f), FacePoseEstimator.Peak(map, 6));
    }

    // A right hand on a 200×200 canvas: wrist (100, 150); finger f's points j = 1…4 at (60 + 20f, 130 − 20(j − 1)); the
    // pinky's tip (point 20) missing. Face: two landmarks, and one on column 0 that the reference does not draw.
    static string HandJson(bool normalized = false)
    {
        var hand = new List<double> { 100, 150, 0.9 };
        for (int f = 0; f < 5; f++)
            for (int j = 1; j <= 4; j++)
                hand.AddRange(f == 4 && j == 4 ? [0, 0, 0] : [60 + 20 * f, 130 - 20 * (j - 1), 0.9]);
        var face = new List<double> { 150, 30, 0.8, 170, 30, 0.8, 0, 50, 0.8 };
        for (int i = 3; i < 70; i++) face.AddRange([0, 0, 0]);
        string Numbers(IEnumerable<double> v) => string.Join(",", v.Select((n, i) => (normalized && i % 3 != 2 ? n / 200 : n).ToString(CultureInfo.InvariantCulture)));
        return $"{{\"people\":[{{\"pose_keypoints_2d\":[{Numbers(new double[54])}],\"face_keypoints_2d\":[{Numbers(face)}]," +
               $"\"hand_left_keypoints_2d\":null,\"hand_right_keypoints_2d\":[{Numbers(hand)}]}}],\"canvas_width\":200,\"canvas_height\":200}}";
    }

    static ConditionImage DrawJson(PoseParts parts, string json) =>
        new PosePreprocessor(parts).Run(PreprocessorSource.From(Encoding.UTF8.GetBytes(json), "pose.json"));

    [Fact]
    public void A_known_hand_is_drawn_with_HSV_coloured_edges_and_blue_points_and_the_face_with_white_points()
    {
        var map = DrawJson(PoseParts.Full, HandJson());
        Assert.Equal((200, 200, 3), (map.Width, map.Height, map.Channels));
        (byte, byte, byte) blue = (0, 0, 255), white = (255, 255, 255), black = (0, 0, 0);
        Assert.Equal(blue, map.Rgb(100, 150));                // wrist
        Assert.Equal(blue, map.Rgb(120, 70));                 // ring finger tip
        // Edge colours: hsv_to_rgb([e/20, 1, 1])·255, rounded by OpenCV (half to even).
        Assert.Equal(((byte)255, (byte)0, (byte)0), map.Rgb(80, 140));     // edge 0: wrist → thumb base
        Assert.Equal(((byte)255, (byte)77, (byte)0), map.Rgb(60, 120));    // edge 1: 0.05·6 = 0.30000000000000004 → 76.50000000000001 → 77
        Assert.Equal(((byte)128, (byte)255, (byte)0), map.Rgb(80, 120));   // edge 5: 127.5 → 128
        Assert.Equal(((byte)0, (byte)255, (byte)255), map.Rgb(100, 100));  // edge 10
        Assert.Equal(((byte)128, (byte)0, (byte)255), map.Rgb(120, 80));   // edge 15
        Assert.Equal(black, map.Rgb(140, 80));                // edge 19 ends at the missing tip: not drawn
        Assert.Equal(blue, map.Rgb(140, 90));
        Assert.Equal(black, map.Rgb(115, 120));               // between fingers: line thickness 2 only
        // Face: white filled circles of radius 3; a landmark on column 0 is not drawn.
        Assert.Equal(white, map.Rgb(150, 30));
        Assert.Equal(white, map.Rgb(153, 30));
        Assert.Equal(black, map.Rgb(155, 30));
        Assert.Equal(white, map.Rgb(170, 30));
        Assert.Equal(black, map.Rgb(0, 50));
        Assert.Equal(black, map.Rgb(1, 50));

        // Each variant draws only its parts; normalised coordinates (the A1111 extension's) draw the same.
        Assert.Equal(black, DrawJson(PoseParts.Body, HandJson()).Rgb(100, 150));
        Assert.Equal(black, DrawJson(PoseParts.Body | PoseParts.Face, HandJson()).Rgb(100, 150));
        Assert.Equal(white, DrawJson(PoseParts.Body | PoseParts.Face, HandJson()).Rgb(150, 30));
        Assert.Equal(blue, DrawJson(PoseParts.Body | PoseParts.Hands, HandJson()).Rgb(100, 150));
        Assert.Equal(black, DrawJson(PoseParts.Body | PoseParts.Hands, HandJson()).Rgb(150, 30));
        Assert.Equal(white, DrawJson(PoseParts.Face, HandJson()).Rgb(150, 30));
        Assert.Equal(map.Data, DrawJson(PoseParts.Full, HandJson(normalized: true)).Data);
    }

    [Fact]
    public void Hands_and_face_round_trip_through_OpenPose_JSON()
    {
        var body = Enumerable.Range(0, 18).Select(i => (PosePeak?)new PosePeak(10 + i, 20 + i, 0.5, i)).ToArray();
        var left = Enumerable.Range(0, 21).Select(i => i == 3 ? (PartKeypoint?)null : new PartKeypoint(30 + i, 40 + 2 * i, 0.25 + i / 100.0)).ToArray();
        var face = Enumerable.Range(0, 70).Select(i => i % 7 == 0 ? (PartKeypoint?)null : new PartKeypoint(100 + i, 50 + i % 5, 0.4)).ToArray();
        var person = new DetectedPerson(body, 9, 18) { LeftHand = left, Face = face }; // no right-hand box found
        var json = OpenPoseJsonWriter.Write([person], 320, 240, PoseParts.Full);

        using (var doc = System.Text.Json.JsonDocument.Parse(json))
        {
            var p = doc.RootElement.GetProperty("people")[0];
            Assert.Equal(["pose_keypoints_2d", "face_keypoints_2d", "hand_left_keypoints_2d", "hand_right_keypoints_2d"], p.EnumerateObject().Select(e => e.Name));
            Assert.Equal(210, p.GetProperty("face_keypoints_2d").GetArrayLength());
            Assert.Equal(63, p.GetProperty("hand_right_keypoints_2d").GetArrayLength());
            Assert.All(p.GetProperty("hand_right_keypoints_2d").EnumerateArray(), v => Assert.Equal(0, v.GetDouble()));
        }
        var read = PoseDocument.Parse(Encoding.UTF8.GetBytes(json)).People.Single();
        var expected = person.ToPosePerson();
        Assert.Equal(expected.Keypoints, read.Keypoints);
        Assert.Equal(expected.LeftHand, read.LeftHand);
        Assert.Equal(expected.Face, read.Face);
        Assert.All(read.RightHand!, k => Assert.Null(k));

        // The body-only writer keeps the body-only format.
        Assert.DoesNotContain("hand_left", OpenPoseJsonWriter.Write([person], 320, 240));
    }

    [Fact]
    public void A_hand_array_of_the_wrong_length_is_one_line_naming_it()
    {
        var json = "{\"people\":[{\"pose_keypoints_2d\":[" + string.Join(",", new int[54]) + "],\"hand_left_keypoints_2d\":[1,2,3,4,5,6]}]}";
        var e = Assert.Throws<InvalidDataException>(() => DrawJson(PoseParts.Full, json));
        Assert.Contains("hand_left_keypoints_2d has 6 numbers", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Openpose_full_on_a_photo_without_hand_pose_model_pth_names_that_file()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["body_pose_model.pth"], [1, 2, 3]); // found first; every file is looked up before any is read
        File.WriteAllBytes(dir["facenet.pth"], [1, 2, 3]);
        var e = Assert.Throws<FileNotFoundException>(() => new PosePreprocessor(PoseParts.Full).Run(AnnotatorWeights.Photo(dir.Path)));
        Assert.Contains("hand_pose_model.pth", e.Message);
        Assert.Contains("--annotator-path", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void The_plugin_offers_the_extensions_openpose_variants()
    {
        var ids = new OpenPosePlugin().Preprocessors.Select(p => p.Id).ToArray();
        Assert.Equal(["openpose", "openpose-full", "openpose-hand", "openpose-face", "openpose-faceonly"], ids);
        Assert.Equal(["body_pose_model.pth", "hand_pose_model.pth", "facenet.pth"], new PosePreprocessor(PoseParts.Full).WeightFiles.Select(f => f.Name));
        Assert.Equal(["body_pose_model.pth", "facenet.pth"], new PosePreprocessor(PoseParts.Face).WeightFiles.Select(f => f.Name));
        Assert.Throws<ArgumentException>(() => new PosePreprocessor(PoseParts.Hands));
    }
}
