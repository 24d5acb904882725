using ControlNet.Cli;
using ControlNet.Cli.Generation;
using ControlNet.Hosting.Runs;
using ControlNet.Pipelines;

namespace ControlNet.Tests.Cli;

public class ControlSpecTests
{
    [Fact]
    public void Spec_keys_go_to_the_control_and_other_keys_to_the_preprocessor()
    {
        var c = ControlSpec.Parse("canny:photos/a.png:model=lllyasviel/control_v11p_sd15_canny,strength=0.8,start=0.1,end=0.9,mode=prompt,guess=true,resize=fill,low=50,high=120");
        Assert.Equal(("canny", "photos/a.png", "lllyasviel/control_v11p_sd15_canny"), (c.Type, c.Image, c.Model));
        Assert.Equal((0.8, 0.1, 0.9, ControlMode.PromptIsMoreImportant, true, ResizeMode.ResizeAndFill), (c.Strength, c.Start, c.End, c.Mode, c.GuessMode, c.Resize));
        Assert.Equal(new Dictionary<string, string> { ["low"] = "50", ["high"] = "120" }, c.Options);
        Assert.Null(c.Preprocessor);
    }

    [Fact]
    public void Adapter_scale_and_factor_are_the_t2i_adapter_names_of_model_strength_and_end()
    {
        var c = ControlSpec.Parse("depth:map.png:adapter=t2iadapter_depth_sd14v1.pth,scale=0.6,factor=0.5,pre=none");
        Assert.Equal(("t2iadapter_depth_sd14v1.pth", 0.6, 0.0, 0.5), (c.Model, c.Strength, c.Start, c.End));
        Assert.Empty(c.Options);
    }

    [Fact]
    public void Defaults_and_pre_none_and_colons_in_the_image_path()
    {
        var plain = ControlSpec.Parse("depth:map.png");
        Assert.Equal((1.0, 0.0, 1.0, ControlMode.Balanced, false, ResizeMode.CropAndResize), (plain.Strength, plain.Start, plain.End, plain.Mode, plain.GuessMode, plain.Resize));
        Assert.Empty(plain.Options);
        var map = ControlSpec.Parse("canny:C:/maps/edges:1.png:pre=none");
        Assert.Equal(("C:/maps/edges:1.png", "none"), (map.Image, map.Preprocessor));
        Assert.Equal("a:b.png", ControlSpec.Parse("canny:a:b.png").Image);   // a last part without '=' belongs to the path
    }

    [Theory]
    [InlineData("canny")]
    [InlineData(":a.png")]
    [InlineData("canny:")]
    [InlineData("canny:a.png:low=1,high")]
    [InlineData("canny:a.png:end=x")]
    [InlineData("canny:a.png:guess=maybe")]
    public void Malformed_specs_are_usage_errors(string spec)
    {
        var e = Assert.Throws<UserFacingException>(() => ControlSpec.Parse(spec));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains(spec, e.Message);
    }

    [Fact]
    public void One_pipeline_key_per_type_and_model()
    {
        RunControl C(string type, string model) => new() { Type = type, Image = "x.png", Model = model };
        var keys = GenerationRunner.ControlKeys([C("canny", "a"), C("depth", "d"), C("canny", "b"), C("canny", "a"), C("canny", "c")]);
        Assert.Equal(["canny", "depth", "canny-2", "canny", "canny-3"], keys);
    }

    [Fact]
    public void Run_file_paths_are_relative_to_the_file_and_unknown_fields_are_refused()
    {
        var dir = Directory.CreateTempSubdirectory("controlnet-run-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "in.png"), "");
            File.WriteAllText(Path.Combine(dir, "run.json"), """
                { "model": "org/some-model", "prompt": "p", "steps": 4, "out": "result.png",
                  "controls": [ { "type": "canny", "image": "in.png", "strength": 0.5, "options": { "low": "10" } } ] }
                """);
            var run = GenerationRun.Load(Path.Combine(dir, "run.json"));
            Assert.Equal("org/some-model", run.Model);   // not a local path: a hub id, kept as written
            Assert.Equal(Path.Combine(dir, "result.png"), run.Out);
            Assert.Equal(Path.Combine(dir, "in.png"), run.Controls[0].Image);
            Assert.Equal((4, 0.5, "10"), (run.Steps, run.Controls[0].Strength, run.Controls[0].Options["low"]));

            File.WriteAllText(Path.Combine(dir, "bad.json"), """{ "prompt": "p", "stepz": 4 }""");
            var e = Assert.Throws<ArgumentException>(() => GenerationRun.Load(Path.Combine(dir, "bad.json")));
            Assert.Contains("stepz", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
