using ControlNet.Abstractions;
using ControlNet.Hosting.Imaging;
using ControlNet.Hosting.Plugins;
using ControlNet.Hosting.Runs;
using ControlNet.Pipelines;
using ControlNet.Tests.Checkpoints;
using ControlNet.Tests.Cli;

namespace ControlNet.Tests.Hosting;

/// <summary>A1111's <c>parameters</c> infotext: read from a PNG as A1111 writes it, and written in its spelling and order.</summary>
public class A1111ParametersTests
{
    const string Infotext =
        "masterpiece, a cat in a (red:1.2) hat\nwith two lines\n" +
        "Negative prompt: blurry, lowres\n" +
        "Steps: 25, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1234567, Size: 520x776, " +
        "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Denoising strength: 0.6, " +
        "ControlNet 0: \"Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 0.8, Resize Mode: Crop and Resize, " +
        "Processor Res: 512, Guidance Start: 0, Guidance End: 1, Pixel Perfect: False, Control Mode: Balanced\", Version: v1.10.1";

    [Fact]
    public void An_a1111_png_round_trips_into_the_same_settings()
    {
        using var dir = new TempDir();
        ImageFile.SavePng(ConditionImage.Rgb(4, 4, new byte[48]), dir["a1111.png"], new Dictionary<string, string> { ["parameters"] = Infotext });

        var plugins = new PluginCatalog().AddFolder(CliRunner.PluginFolder);
        var run = GenerationRun.FromPng(dir["a1111.png"], plugins);
        Assert.Equal("masterpiece, a cat in a (red:1.2) hat\nwith two lines", run.Prompt);
        Assert.Equal("blurry, lowres", run.Negative);
        Assert.Equal((25, "dpmpp_2m_karras", 6.5, 1234567L, 520, 776, 0.6), (run.Steps, run.Sampler, run.Cfg, run.Seed, run.Width, run.Height, run.Strength));
        // The extension's unit: module canny → the canny plug-in's canny preprocessor; Processor Res → its detect-resolution.
        var unit = Assert.Single(run.Controls);
        Assert.Equal(("canny", "canny", "", null, 0.8, 0.0, 1.0, ControlMode.Balanced, ResizeMode.CropAndResize),
            (unit.Type, unit.Preprocessor, unit.Image, unit.Model, unit.Strength, unit.Start, unit.End, unit.Mode, unit.Resize));
        Assert.Equal(new Dictionary<string, string> { ["detect-resolution"] = "512" }, unit.Options);

        // Written back in A1111's spelling and order, it reads into the same settings.
        var written = A1111Parameters.Write(run with { InitImage = "init.png" }, run.Seed);
        Assert.StartsWith("masterpiece, a cat in a (red:1.2) hat\nwith two lines\nNegative prompt: blurry, lowres\n" +
                          "Steps: 25, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1234567, Size: 520x776, Model: toy, Denoising strength: 0.6", written);
        Assert.Contains("ControlNet 0: \"Module: canny, Model: canny, Weight: 0.8, Resize Mode: Crop and Resize, Processor Res: 512, Guidance Start: 0, Guidance End: 1, Control Mode: Balanced\"", written);
        var again = A1111Parameters.Read(written, catalog: plugins);
        Assert.Equal(run.Controls.Single() with { Options = null! }, again.Controls.Single() with { Options = null! });
        Assert.Equal(run.Controls.Single().Options, again.Controls.Single().Options);
        Assert.Equal(run with { InitImage = null, Controls = [] }, again with { InitImage = null, Controls = [] });
    }

    [Fact]
    public void The_extensions_style_modules_read_as_the_style_condition()
    {
        // t2ia_style_clipvision (and its older name clip_vision): the style plug-in's pass-through preprocessor; CLIP runs in the adapter.
        var plugins = new PluginCatalog().AddFolder(CliRunner.PluginFolder);
        foreach (var module in new[] { "t2ia_style_clipvision", "clip_vision" })
        {
            var run = A1111Parameters.Read("x\nSteps: 4, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64, Model: m, " +
                $"ControlNet 0: \"Module: {module}, Model: t2iadapter_style_sd14v1 [892c0a28], Weight: 0.9, Resize Mode: Crop and Resize, Guidance Start: 0, Guidance End: 1, Control Mode: Balanced\"", catalog: plugins);
            var unit = Assert.Single(run.Controls);
            Assert.Equal(("style", "style-image", 0.9), (unit.Type, unit.Preprocessor, unit.Strength));
        }
    }

    [Fact]
    public void Every_unit_field_round_trips_and_module_none_takes_the_type_from_the_model_name()
    {
        var plugins = new PluginCatalog().AddFolder(CliRunner.PluginFolder);
        const string text = "x\nSteps: 4, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64, Model: m, " +
            "ControlNet 0: \"Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 0.7, Resize Mode: Just Resize, Processor Res: 64, Threshold A: 50, Threshold B: 150, Guidance Start: 0.1, Guidance End: 0.8, Pixel Perfect: False, Control Mode: ControlNet is more important\", " +
            "ControlNet 1: \"Module: none, Model: control_v11p_sd15_scribble [00000000], Weight: 1.2, Resize Mode: Resize and Fill, Guidance Start: 0, Guidance End: 1, Control Mode: My prompt is more important\"";
        var run = A1111Parameters.Read(text, catalog: plugins);
        Assert.Equal(2, run.Controls.Count);
        var (canny, scribble) = (run.Controls[0], run.Controls[1]);
        Assert.Equal(("canny", "canny", 0.7, 0.1, 0.8, ControlMode.ControlNetIsMoreImportant, ResizeMode.JustResize), (canny.Type, canny.Preprocessor, canny.Strength, canny.Start, canny.End, canny.Mode, canny.Resize));
        Assert.Equal(new Dictionary<string, string> { ["detect-resolution"] = "64", ["low"] = "50", ["high"] = "150" }, canny.Options);
        Assert.Equal(("scribble", "none", 1.2, ControlMode.PromptIsMoreImportant, ResizeMode.ResizeAndFill), (scribble.Type, scribble.Preprocessor, scribble.Strength, scribble.Mode, scribble.Resize));

        // Written back (the models are the types' defaults, titled by name) and read again: the same units.
        var again = A1111Parameters.Read(A1111Parameters.Write(run, 1), catalog: plugins);
        Assert.Equal(run.Controls.Select(c => c with { Options = null! }), again.Controls.Select(c => c with { Options = null! }));
        Assert.Equal(run.Controls.Select(c => c.Options), again.Controls.Select(c => c.Options));

        var e = Assert.Throws<ArgumentException>(() => A1111Parameters.Read(text.Replace("Module: canny", "Module: seg_ofade20k"), catalog: plugins));
        Assert.Contains("ControlNet 0", e.Message);
        Assert.Contains("--control", e.Message);
    }

    [Fact]
    public void Model_hash_is_the_first_ten_hex_digits_of_the_sha256_and_units_are_quoted()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["m.safetensors"], "hello"u8.ToArray());   // sha256("hello") = 2cf24dba5f…
        var run = new GenerationRun
        {
            Model = dir["m.safetensors"], Prompt = "x", Width = 512, Height = 512, Cfg = 7, Sampler = "euler_a",
            Controls = [new RunControl { Type = "canny", Image = "c.png", Strength = 0.5, Mode = ControlMode.ControlNetIsMoreImportant, Resize = ResizeMode.JustResize }],
        };
        var text = A1111Parameters.Write(run, 3);
        Assert.Equal("x\nSteps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 3, Size: 512x512, Model hash: 2cf24dba5f, Model: m, " +
                     "ControlNet 0: \"Module: canny, Model: canny, Weight: 0.5, Resize Mode: Just Resize, Guidance Start: 0, Guidance End: 1, Control Mode: ControlNet is more important\"", text);
        var pairs = A1111Parameters.Pairs(text.Split('\n')[1]);
        Assert.Equal("Module: canny, Model: canny, Weight: 0.5, Resize Mode: Just Resize, Guidance Start: 0, Guidance End: 1, Control Mode: ControlNet is more important", pairs["ControlNet 0"]);
        Assert.Equal("Euler a", pairs["Sampler"]);
    }
}
