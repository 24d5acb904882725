using System.Text;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenCv;
using ControlNet.Conditions.OpenPose;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using OpenCvSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Conditions;

public class OpenPoseDetectionTests
{
    [Fact]
    public void Parameter_names_and_shapes_are_those_of_body_pose_model_pth()
    {
        TorchRuntime.EnsureInitialized();
        using var net = new BodyPoseNetwork();
        var sd = net.state_dict();
        Assert.Equal(2 * (12 + 2 * 5 + 2 * 5 * 7), sd.Count); // front end 12 convs, stage 1: 2×5, stages 2–6: 2×5×7; weight + bias each
        Assert.Equal([64L, 3, 3, 3], sd["conv1_1.weight"].shape);
        Assert.Equal([128L, 256, 3, 3], sd["conv4_4_CPM.weight"].shape);
        Assert.Equal([38L, 512, 1, 1], sd["conv5_5_CPM_L1.weight"].shape);
        Assert.Equal([19L, 512, 1, 1], sd["conv5_5_CPM_L2.weight"].shape);
        Assert.Equal([128L, 185, 7, 7], sd["Mconv1_stage2_L1.weight"].shape);
        Assert.Equal([19L, 128, 1, 1], sd["Mconv7_stage6_L2.weight"].shape);
        Assert.Equal([38L], sd["Mconv7_stage6_L1.bias"].shape);
    }

    [Fact]
    public void Random_weights_saved_as_pth_load_back_and_detect_on_a_photo()
    {
        TorchRuntime.EnsureInitialized();
        using var dir = new TempDir();
        manual_seed(3);
        using (var net = new BodyPoseNetwork())
        {
            using (var x = randn(1, 3, 48, 40))
            using (no_grad())
            {
                var (paf, heat) = net.call(x);
                Assert.Equal([1L, 38, 6, 5], paf.shape);
                Assert.Equal([1L, 19, 6, 5], heat.shape);
                Assert.True(heat.min().item<float>() >= 0, "the last heat-map conv has the reference's ReLU");
                paf.Dispose();
                heat.Dispose();
            }
            AnnotatorWeights.Save(net, dir["body_pose_model.pth"]);
        }

        var photo = ControlNet.Hosting.Imaging.ImageFile.LoadRgb(TestImages.Path("astronaut-256.png"));
        var source = new PreprocessorSource(photo, File.ReadAllBytes(TestImages.Path("astronaut-256.png")), "astronaut-256.png") { Models = AnnotatorWeights.Provider(dir.Path) };
        var map = new PosePreprocessor().Run(source, new Dictionary<string, string> { ["detect-resolution"] = "128" });
        Assert.Equal((128, 128, 3, SampleDepth.Eight), (map.Width, map.Height, map.Channels, map.Depth));
        Assert.NotNull(map.Json);
        var doc = PoseDocument.Parse(Encoding.UTF8.GetBytes(map.Json!));
        Assert.Equal((128, 128), (doc.CanvasWidth, doc.CanvasHeight));

        // The JSON draws the same map back.
        var redrawn = new PosePreprocessor().Run(PreprocessorSource.From(Encoding.UTF8.GetBytes(map.Json!), "pose.json"));
        Assert.Equal(map.Data, redrawn.Data);
    }

    [Fact]
    public void A_photo_without_the_weights_names_the_file()
    {
        using var dir = new TempDir();
        var photo = ControlNet.Hosting.Imaging.ImageFile.LoadRgb(TestImages.Path("astronaut-256.png"));
        var source = new PreprocessorSource(photo, [1, 2, 3], "photo.png") { Models = AnnotatorWeights.Provider(dir.Path) };
        var e = Assert.Throws<FileNotFoundException>(() => new PosePreprocessor().Run(source));
        Assert.Contains("body_pose_model.pth", e.Message);
        Assert.Contains("--annotator-path", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void The_host_decodes_an_image_given_to_a_file_preprocessor_and_leaves_json_alone()
    {
        var png = File.ReadAllBytes(TestImages.Path("astronaut-256.png"));
        var image = ControlNet.Hosting.Plugins.PreprocessorSources.FromFile(png, "photo.png");
        Assert.Equal((256, 256, 3), (image.Image!.Width, image.Image.Height, image.Image.Channels));
        var json = ControlNet.Hosting.Plugins.PreprocessorSources.FromFile("{\"people\":[]}"u8.ToArray(), "pose.json");
        Assert.Null(json.Image);
        Assert.NotNull(json.Bytes);
    }

    [Fact]
    public void Peaks_are_local_maxima_of_the_smoothed_map_above_the_threshold_scored_with_the_raw_map()
    {
        OpenCvNative.EnsureLoaded();
        using var map = new Mat(64, 64, MatType.CV_32FC1, Scalar.All(0));
        void Blob(int cx, int cy, double amplitude, double sigma)
        {
            for (int y = 0; y < 64; y++)
                for (int x = 0; x < 64; x++)
                    map.At<float>(y, x) += (float)(amplitude * Math.Exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * sigma * sigma)));
        }
        Blob(20, 30, 1.0, 2);  // smoothed peak 1·4/13 ≈ 0.31 > 0.1
        Blob(45, 10, 1.0, 2);
        Blob(50, 52, 0.5, 1);  // raw 0.5, but smoothed 0.5·1/10 = 0.05 < 0.1: not a peak
        var peaks = HeatmapPeaks.Find(map, firstId: 7);
        Assert.Equal(2, peaks.Count);
        Assert.Equal(new PosePeak(45, 10, 1.0, 7), peaks[0] with { Score = Math.Round(peaks[0].Score, 5) }); // row-major order
        Assert.Equal(new PosePeak(20, 30, 1.0, 8), peaks[1] with { Score = Math.Round(peaks[1].Score, 5) });
    }

    // COCO-18 body at offset: 0 nose, 1 neck, 2–4 right arm, 5–7 left arm, 8–10 right leg, 11–13 left leg, 14/15 eyes, 16/17 ears.
    static readonly (int X, int Y)[] Body =
    [
        (0, -20), (0, 0), (-15, 0), (-20, 20), (-22, 40), (15, 0), (20, 20), (22, 40), (-10, 45), (-11, 70), (-12, 95),
        (10, 45), (11, 70), (12, 95), (-5, -25), (5, -25), (-10, -22), (10, -22),
    ];

    [Fact]
    public void Association_groups_two_people_and_joins_a_neckless_persons_head_and_arms()
    {
        // Person A at (50, 40) complete; person B at (170, 40) without a neck: its limbs only meet through the ear–shoulder
        // limbs, which merge the arms into the head, while its legs stay 3-part fragments and are dropped. A lone nose–neck
        // pair is a 2-part person and is dropped too.
        const int W = 240, H = 160;
        var people = new List<(int X, int Y)?[]>
        {
            Body.Select(p => ((int, int)?)(p.X + 50, p.Y + 40)).ToArray(),
            Body.Select((p, i) => i == 1 ? null : ((int, int)?)(p.X + 170, p.Y + 40)).ToArray(),
            Enumerable.Range(0, 18).Select(i => i == 0 ? (120, 12) : i == 1 ? ((int, int)?)(120, 30) : null).ToArray(),
        };
        var peaks = new List<IReadOnlyList<PosePeak>>();
        int id = 0;
        for (int part = 0; part < 18; part++)
            peaks.Add(people.Where(p => p[part] is not null).Select(p => new PosePeak(p[part]!.Value.X, p[part]!.Value.Y, 0.9, id++)).ToList());

        // Fields: each limb whose ends exist paints its unit direction within 1.5 px of the segment into its channel pair.
        var planes = Enumerable.Range(0, 38).Select(_ => new float[W * H]).ToArray();
        foreach (var p in people)
            for (int k = 0; k < BodyPoseDrawing.LimbSeq.Length; k++)
            {
                var (a, b) = BodyPoseDrawing.LimbSeq[k];
                if (p[a - 1] is not { } pa || p[b - 1] is not { } pb) continue;
                double dx = pb.X - pa.X, dy = pb.Y - pa.Y, len = Math.Sqrt(dx * dx + dy * dy);
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++)
                    {
                        double t = Math.Clamp(((x - pa.X) * dx + (y - pa.Y) * dy) / (len * len), 0, 1);
                        double ex = pa.X + t * dx - x, ey = pa.Y + t * dy - y;
                        if (ex * ex + ey * ey > 1.5 * 1.5) continue;
                        planes[PafAssociation.LimbFields[k].X][y * W + x] = (float)(dx / len);
                        planes[PafAssociation.LimbFields[k].Y][y * W + x] = (float)(dy / len);
                    }
            }

        var found = PafAssociation.Group(peaks, new PafField(W, H, planes)).OrderBy(p => p.Keypoints[0]!.Value.X).ToList();
        Assert.Equal(2, found.Count);
        var a1 = found[0].Keypoints.Select(k => k is { } v ? ((int, int)?)(v.X, v.Y) : null).ToArray();
        Assert.Equal(people[0], a1);
        Assert.Equal(18, found[0].PartCount);
        var b1 = found[1].Keypoints.Select(k => k is { } v ? ((int, int)?)(v.X, v.Y) : null).ToArray();
        int[] kept = [0, 2, 3, 4, 5, 6, 7, 14, 15, 16, 17];
        Assert.Equal(people[1].Select((v, i) => kept.Contains(i) ? v : null).ToArray(), b1);
        Assert.Equal(kept.Length, found[1].PartCount);
    }

    [Fact]
    public void Detected_keypoints_round_trip_through_OpenPose_JSON()
    {
        var person = new DetectedPerson(Enumerable.Range(0, 18).Select(i => i == 4 ? (PosePeak?)null : new PosePeak(10 + i, 20 + 2 * i, 0.5 + i / 100.0, i)).ToArray(), 9, 17);
        var json = OpenPoseJsonWriter.Write([person], 320, 240);
        var doc = PoseDocument.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal((320, 240), (doc.CanvasWidth, doc.CanvasHeight));
        Assert.Equal(person.ToPosePerson().Keypoints, doc.People.Single().Keypoints);
    }

    [Fact]
    public void Smart_resize_shrinks_with_area_and_enlarges_with_lanczos()
    {
        OpenCvNative.EnsureLoaded();
        using var checker = new Mat(8, 8, MatType.CV_32FC1);
        for (int y = 0; y < 8; y++) for (int x = 0; x < 8; x++) checker.At<float>(y, x) = (x + y) % 2;
        using var small = BodyPoseEstimator.SmartResize(checker, 4, 4);
        Assert.Equal(0.5f, small.At<float>(1, 2), 5); // AREA averages each 2×2 block
        using var large = BodyPoseEstimator.SmartResize(checker, 16, 16);
        using var expected = new Mat();
        Cv2.Resize(checker, expected, new OpenCvSharp.Size(16, 16), 0, 0, InterpolationFlags.Lanczos4);
        Assert.Equal(expected.At<float>(5, 7), large.At<float>(5, 7));
    }
}
