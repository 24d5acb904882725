using System.Globalization;
using System.Text;
using ControlNet.Abstractions;
using ControlNet.Conditions.OpenPose;

namespace ControlNet.Tests.Conditions;

public class OpenPoseTests
{
    // COCO-18 indices: 0 nose, 1 neck, 2 R-shoulder, 3 R-elbow, 4 R-wrist, 5 L-shoulder, 17 L-ear.
    static readonly Dictionary<int, (double X, double Y)> Present = new()
    {
        [0] = (128, 80), [1] = (128, 128), [2] = (80, 128), [3] = (80, 192), [5] = (176, 128), [17] = (200, 40),
    };
    static readonly (double X, double Y) MissingWrist = (80, 240); // given with confidence 0

    static byte[] Json(double scale, bool canvas = true)
    {
        var values = new List<string>();
        for (int i = 0; i < 18; i++)
        {
            var (x, y, c) = Present.TryGetValue(i, out var p) ? (p.X, p.Y, 0.9) : i == 4 ? (MissingWrist.X, MissingWrist.Y, 0.0) : (0.0, 0.0, 0.0);
            values.Add(string.Create(CultureInfo.InvariantCulture, $"{x * scale},{y * scale},{c}"));
        }
        var size = canvas ? ",\"canvas_width\":256,\"canvas_height\":256" : "";
        return Encoding.UTF8.GetBytes($"{{\"version\":1.3,\"people\":[{{\"pose_keypoints_2d\":[{string.Join(",", values)}]}}]{size}}}");
    }

    static ConditionImage Draw(string style, byte[] json, Dictionary<string, string>? extra = null)
    {
        var options = new Dictionary<string, string> { ["style"] = style };
        foreach (var kv in extra ?? []) options[kv.Key] = kv.Value;
        return new PosePreprocessor().Run(PreprocessorSource.From(json, "pose.json"), options);
    }

    static (byte, byte, byte) Color(int i) => BodyPoseDrawing.Colors[i];
    static (byte, byte, byte) Times06Truncated((byte R, byte G, byte B) c) => ((byte)(c.R * 0.6), (byte)(c.G * 0.6), (byte)(c.B * 0.6));
    static (byte, byte, byte) Blend06Rounded((byte R, byte G, byte B) c) =>
        ((byte)Math.Round(c.R * 0.6, MidpointRounding.AwayFromZero), (byte)Math.Round(c.G * 0.6, MidpointRounding.AwayFromZero), (byte)Math.Round(c.B * 0.6, MidpointRounding.AwayFromZero));

    [Fact]
    public void V11_draws_limbs_at_sixty_percent_then_keypoints_at_full_colour()
    {
        var map = Draw("v11", Json(1));
        Assert.Equal((256, 256, 3), (map.Width, map.Height, map.Channels));
        foreach (var (i, p) in Present) Assert.Equal(Color(i), map.Rgb((int)p.X, (int)p.Y)); // keypoint centres
        Assert.Equal(Times06Truncated(BodyPoseDrawing.Colors[0]), map.Rgb(104, 128));  // limb 0: neck–R-shoulder midpoint
        Assert.Equal(Times06Truncated(BodyPoseDrawing.Colors[1]), map.Rgb(152, 128));  // limb 1: neck–L-shoulder
        Assert.Equal(Times06Truncated(BodyPoseDrawing.Colors[2]), map.Rgb(80, 160));   // limb 2: R-shoulder–R-elbow
        Assert.Equal(Times06Truncated(BodyPoseDrawing.Colors[12]), map.Rgb(128, 104)); // limb 12: neck–nose
        AssertCommonGeometry(map);
    }

    [Fact]
    public void V10_draws_keypoints_first_then_blends_each_limb_at_sixty_percent()
    {
        var map = Draw("v10", Json(1));
        Assert.Equal(Color(17), map.Rgb(200, 40)); // an isolated keypoint keeps its full colour
        Assert.Equal(Blend06Rounded(BodyPoseDrawing.Colors[0]), map.Rgb(104, 128)); // addWeighted(0.4·black + 0.6·colour), rounded
        Assert.Equal(Blend06Rounded(BodyPoseDrawing.Colors[2]), map.Rgb(80, 160));
        Assert.Equal(Blend06Rounded(BodyPoseDrawing.Colors[12]), map.Rgb(128, 104));
        // The elbow's circle lies under limb 2's end only: round(0.4·circle + 0.6·limb colour).
        var (er, eg, eb) = BodyPoseDrawing.Colors[3];
        var (lr, lg, lb) = BodyPoseDrawing.Colors[2];
        Assert.Equal(((byte)Math.Round(0.4 * er + 0.6 * lr), (byte)Math.Round(0.4 * eg + 0.6 * lg), (byte)Math.Round(0.4 * eb + 0.6 * lb)), map.Rgb(80, 190));
        AssertCommonGeometry(map);
    }

    static void AssertCommonGeometry(ConditionImage map)
    {
        Assert.Equal((0, 0, 0), map.Rgb(5, 250));                 // untouched background
        Assert.Equal((0, 0, 0), map.Rgb(80, 240));                // the missing wrist is not drawn…
        Assert.Equal((0, 0, 0), map.Rgb(80, 216));                // …nor the elbow–wrist limb
        Assert.NotEqual((0, 0, 0), map.Rgb(104, 128 + 3));         // stick half-width 4
        Assert.Equal((0, 0, 0), map.Rgb(104, 128 + 6));
        Assert.NotEqual((0, 0, 0), map.Rgb(200 + 4, 40));          // circle radius 4
        Assert.Equal((0, 0, 0), map.Rgb(200 + 6, 40));
        // Only the drawn colours (and their blends) appear: no limb beyond the first 17 and nothing for missing points.
        Assert.Equal((0, 0, 0), map.Rgb(164, 84)); // where limb 13 (nose–R-eye) would go if the eye were present
    }

    [Fact]
    public void Normalised_coordinates_draw_the_same_as_pixels()
    {
        var pixels = Draw("v11", Json(1));
        var normalised = Draw("v11", Json(1.0 / 256), new() { ["coordinates"] = "normalized" });
        var auto = Draw("v11", Json(1.0 / 256));
        Assert.Equal(pixels.Data, normalised.Data);
        Assert.Equal(pixels.Data, auto.Data);
    }

    [Fact]
    public void Canvas_size_comes_from_options_or_the_json_or_512()
    {
        Assert.Equal((256, 256), Size(Draw("v11", Json(1))));
        Assert.Equal((512, 512), Size(Draw("v11", Json(1, canvas: false))));
        Assert.Equal((320, 240), Size(Draw("v11", Json(1), new() { ["width"] = "320", ["height"] = "240" })));
        static (int, int) Size(ConditionImage m) => (m.Width, m.Height);
    }

    [Fact]
    public void Body25_json_is_refused_with_the_fix()
    {
        var json = Encoding.UTF8.GetBytes("{\"people\":[{\"pose_keypoints_2d\":[" + string.Join(",", Enumerable.Repeat("1", 75)) + "]}]}");
        var e = Assert.Throws<InvalidDataException>(() => Draw("v11", json));
        Assert.Contains("75 numbers", e.Message);
        Assert.Contains("54", e.Message);
    }
}
