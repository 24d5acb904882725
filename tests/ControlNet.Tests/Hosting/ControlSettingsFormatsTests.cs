using System.Reflection;
using ControlNet.Abstractions;
using ControlNet.Hosting;
using ControlNet.Hosting.Runs;
using ControlNet.Pipelines;
using Microsoft.Extensions.Configuration;

namespace ControlNet.Tests.Hosting;

/// <summary>
/// The control settings are one record (<see cref="ControlParameters"/>); the run file, the DI registration and the
/// pipeline carry it whole. Every knob is found by reflection, so a knob added later is checked without editing here.
/// </summary>
public class ControlSettingsFormatsTests
{
    static readonly PropertyInfo[] Knobs = typeof(ControlParameters).GetProperties(BindingFlags.Public | BindingFlags.Instance);

    // A value other than the record's default for every knob.
    static T WithEveryKnobChanged<T>(T target) where T : ControlParameters
    {
        var defaults = new ControlParameters();
        foreach (var p in Knobs)
        {
            object value = p.PropertyType switch
            {
                var t when t == typeof(double) => 0.25,
                var t when t == typeof(bool) => true,
                var t when t == typeof(string) => "canny",
                var t when t.IsEnum => Enum.GetValues(t).Cast<object>().Last(),
                var t when t == typeof(IReadOnlyDictionary<string, string>) => new Dictionary<string, string> { ["low"] = "50" },
                var t => throw new InvalidOperationException($"ControlParameters.{p.Name} has type {t}; teach this test a value for it."),
            };
            Assert.NotEqual(p.GetValue(defaults), value);
            p.SetValue(target, value);   // init-only setters are ordinary setters to reflection (as to configuration binding)
        }
        return target;
    }

    static void AssertSameKnobs(ControlParameters expected, ControlParameters actual)
    {
        foreach (var p in Knobs)
        {
            if (p.PropertyType == typeof(IReadOnlyDictionary<string, string>))
                Assert.Equal((IReadOnlyDictionary<string, string>)p.GetValue(expected)!, (IReadOnlyDictionary<string, string>)p.GetValue(actual)!);
            else Assert.True(Equals(p.GetValue(expected), p.GetValue(actual)), $"{p.Name}: {p.GetValue(expected)} became {p.GetValue(actual)}");
        }
    }

    [Fact]
    public void A_run_file_written_before_the_settings_were_one_type_still_loads()
    {
        const string json = """
            { "prompt": "p", "controls": [ { "type": "canny", "image": "/in/a.png", "model": "m", "strength": 0.7, "start": 0.1, "end": 0.9,
              "mode": "prompt", "guess": true, "resize": "fill", "pixelPerfect": true, "pre": "none", "options": { "low": "50" } } ] }
            """;
        var c = Assert.Single(GenerationRun.FromJson(json, "test").Controls);
        Assert.Equal(("canny", "/in/a.png", "m", "none", 0.7, 0.1, 0.9), (c.Type, c.Image, c.Model, c.Preprocessor, c.Strength, c.Start, c.End));
        Assert.Equal((ControlMode.PromptIsMoreImportant, true, ResizeMode.ResizeAndFill, true), (c.Mode, c.GuessMode, c.Resize, c.PixelPerfect));
        Assert.Equal("50", c.Options["low"]);
    }

    [Fact]
    public void The_run_file_writes_the_command_line_names_and_round_trips_every_knob()
    {
        var control = WithEveryKnobChanged(new RunControl { Type = "canny", Image = "/in/a.png" });
        var run = new GenerationRun { Controls = [control] };
        var json = run.ToJson();
        Assert.Contains("\"pre\": \"canny\"", json);
        Assert.Contains("\"guess\": true", json);
        Assert.Contains("\"mode\": \"control\"", json);
        Assert.Contains("\"resize\": \"resize-and-fill\"", json);
        Assert.DoesNotContain("guessMode\"", json);
        AssertSameKnobs(control, Assert.Single(GenerationRun.FromJson(json, "test").Controls));
    }

    [Fact]
    public void An_unknown_mode_in_a_run_file_names_the_value_and_the_choices()
    {
        var e = Assert.Throws<ArgumentException>(() => GenerationRun.FromJson("""{ "controls": [ { "type": "canny", "image": "a.png", "mode": "loud" } ] }""", "'run.json'"));
        Assert.Contains("'loud'", e.Message);
        Assert.Contains("balanced, prompt", e.Message);
    }

    [Fact]
    public void Configuration_binds_a_registration_flat_as_before()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Controls:0:Key"] = "edges",
            ["Controls:0:Model"] = "lllyasviel/control_v11p_sd15_canny",
            ["Controls:0:Plugin"] = "canny",
            ["Controls:0:Strength"] = "0.8",
            ["Controls:0:End"] = "0.5",
            ["Controls:0:Mode"] = "PromptIsMoreImportant",
            ["Controls:0:Resize"] = "JustResize",
            ["Controls:0:PixelPerfect"] = "true",
            ["Controls:0:PreprocessorOptions:low"] = "50",
        }).Build();
        var options = new ControlNetOptions();
        config.Bind(options);
        var c = Assert.Single(options.Controls);
        Assert.Equal(("edges", "lllyasviel/control_v11p_sd15_canny", "canny", 0.8, 0.5), (c.Key, c.Model, c.PluginId, c.Strength, c.End));
        Assert.Equal((ControlMode.PromptIsMoreImportant, ResizeMode.JustResize, true), (c.Mode, c.Resize, c.PixelPerfect));
        Assert.Equal("50", c.Options["low"]);
    }

    [Fact]
    public void A_registration_and_the_pipeline_carry_every_knob_whole()
    {
        var registered = WithEveryKnobChanged(new ControlOptions { Key = "canny", Model = "m" });
        var pipeline = new ControlSettings("canny", ConditionImage.Rgb(8, 8, new byte[8 * 8 * 3]), registered);
        AssertSameKnobs(registered, pipeline);
        AssertSameKnobs(registered, new RunControl("canny", registered));
    }
}
