using ControlNet.Abstractions;
using ControlNet.Benchmarks;
using ControlNet.Benchmarks.Annotators;
using ControlNet.Runtime;

namespace ControlNet.Tests.Benchmarks;

/// <summary><c>bench --only annotators</c>: one row per estimator with finite figures, and the Python driver's JSON. No timed assertions.</summary>
public class AnnotatorBenchTests
{
    public AnnotatorBenchTests() => TorchRuntime.EnsureInitialized();

    static readonly IPreprocessor[] Preprocessors =
    [
        new global::ControlNet.Conditions.SoftEdge.HedPreprocessor(), new global::ControlNet.Conditions.SoftEdge.PidiNetPreprocessor(), new global::ControlNet.Conditions.Mlsd.MlsdPreprocessor(),
        new global::ControlNet.Conditions.OpenPose.PosePreprocessor(), new global::ControlNet.Conditions.Lineart.LineartPreprocessor(), new global::ControlNet.Conditions.Lineart.LineartPreprocessor(coarse: true),
        new global::ControlNet.Conditions.Lineart.LineartAnimePreprocessor(), new global::ControlNet.Conditions.OpenPose.PosePreprocessor(global::ControlNet.Conditions.OpenPose.PoseParts.Full),
    ];

    // depth (MiDaS, 490 MB of weights) and openpose-full (three files, 510 MB) are left to their own test and the bench itself.
    static readonly string[] Light = ["hed", "pidinet", "mlsd", "openpose", "lineart", "lineart-coarse", "lineart-anime"];

    [Fact]
    public void Annotators_give_a_row_per_estimator_with_finite_timings_and_rss_and_say_the_reference_was_not_given()
    {
        var r = BenchRunner.Run(new BenchOptions
        {
            Architecture = "toy", Sizes = [64], Runs = 1, Warmup = 1, ConvChannels = 16, ConvSide = 16, AnnotatorSize = 64,
            Only = new HashSet<string> { BenchGroups.Annotators }, Estimators = Light.ToHashSet(),
            Preprocessors = id => Preprocessors.FirstOrDefault(p => p.Id == id),
        });
        Assert.Equal(Light, r.Annotators!.Select(a => a.Estimator));
        foreach (var a in r.Annotators!)
        {
            Assert.True(double.IsFinite(a.OursMedianSeconds) && a.OursMedianSeconds > 0, a.Estimator);
            Assert.True(a.OursPeakRssBytes > 0, a.Estimator);
            Assert.True(a.WeightBytes > 0, a.Estimator);
            Assert.True(a.ReferenceConvGflopPerSecond is > 0, a.Estimator);
            Assert.Null(a.Ratio);
            Assert.StartsWith("reference not given", a.ReferenceNote);
            Assert.NotNull(r.Find($"annotator.{a.Estimator}.64"));
        }
        Assert.Contains("| estimator |", BenchMarkdown.Render(r));
    }

    [Fact]
    public void Openpose_full_writes_its_three_files_and_times_them_as_one_row()
    {
        var r = BenchRunner.Run(new BenchOptions
        {
            Architecture = "toy", Sizes = [64], Runs = 1, Warmup = 1, ConvChannels = 16, ConvSide = 16, AnnotatorSize = 64,
            Only = new HashSet<string> { BenchGroups.Annotators }, Estimators = new HashSet<string> { "openpose-full" },
            Preprocessors = id => Preprocessors.FirstOrDefault(p => p.Id == id),
        });
        var row = Assert.Single(r.Annotators!);
        Assert.Equal("openpose-full", row.Estimator);
        Assert.Equal("body_pose_model.pth + hand_pose_model.pth + facenet.pth", row.WeightFile);
        // 52.3 M + 36.8 M + 38.4 M float32 parameters: the three files together, not the body's alone.
        Assert.InRange(row.WeightBytes, 500_000_000L, 520_000_000L);
        Assert.True(double.IsFinite(row.OursMedianSeconds) && row.OursMedianSeconds > 0);
    }

    [Fact]
    public void An_unknown_estimator_is_refused_with_the_list_of_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => new BenchOptions { Estimators = new HashSet<string> { "zoe" } }.Validate());
        Assert.Contains("'zoe'", e.Message);
        Assert.Contains("openpose-full", e.Message);
        Assert.Contains("depth", e.Message);
    }

    [Fact]
    public void The_driver_json_is_parsed_from_its_last_line_and_the_driver_ships_in_the_assembly()
    {
        var run = ReferenceRun.Parse("cuda\n{\"estimator\": \"hed\", \"seconds\": [0.5, 0.25], \"peakRssBytes\": 123, \"baseRssBytes\": 7, \"error\": null, \"torch\": \"1.13\", \"shims\": [\"einops\"]}\n");
        Assert.Equal("hed", run.Estimator);
        Assert.Equal([0.5, 0.25], run.Seconds);
        Assert.Equal(123, run.PeakRssBytes);
        Assert.Null(run.Error);
        Assert.Equal("1.13", run.Torch);
        Assert.Throws<InvalidDataException>(() => ReferenceRun.Parse("Traceback (most recent call last):"));
        Assert.Contains("import json", ReferenceRun.DriverSource());
    }
}
