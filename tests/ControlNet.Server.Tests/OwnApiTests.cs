using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlNet.Hosting.Imaging;
using ControlNet.Hosting.Runs;
using ControlNet.Server.Jobs;

namespace ControlNet.Server.Tests;

/// <summary>The server's own /v1 API: jobs with ids, server-sent progress, PNGs with metadata, every knob of generate.</summary>
public sealed class OwnApiTests(ToyServerFixture fixture) : IClassFixture<ToyServerFixture>
{
    TestServer Server => fixture.Server;

    [Fact]
    public async Task A_job_with_two_adapters_and_every_knob_streams_progress_and_yields_pngs_with_metadata()
    {
        var square = TestImages.SquareBase64();
        var (status, accepted) = await Server.PostAsync("/v1/generate", new
        {
            prompt = "red square on blue background",
            steps = 6,
            sampler = "dpmpp_2m",
            cfg = 3.0,
            seed = 21,
            batch = 2,
            controls = new object[]
            {
                new { model = "controlnet-canny", preprocessor = "canny", image = square, options = new Dictionary<string, string> { ["low"] = "50", ["high"] = "150", ["detect-resolution"] = "64" },
                      strength = 0.8, start = 0.0, end = 0.8, mode = "Balanced", resize = "JustResize", cfgResolutionWeighting = "Paper" },
                new { model = "canny", preprocessor = "none", image = square, strength = 0.5, guessMode = true, guessModeVariant = "Diffusers", returnMap = false },
            },
        });
        Assert.True(status == 202, accepted.ToString());
        var id = accepted.GetProperty("id").GetString()!;

        // Server-sent events until the job is done.
        using var events = await Server.Http.GetStreamAsync(accepted.GetProperty("events").GetString());
        using var reader = new StreamReader(events);
        var kinds = new List<string>();
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null)
            if (line.StartsWith("event: ", StringComparison.Ordinal)) { kinds.Add(line[7..]); if (kinds[^1] != "progress") break; }
        var job = await Server.GetJsonAsync($"/v1/jobs/{id}");
        Assert.True(kinds[^1] == "done", job.ToString());
        Assert.Equal("done", job.GetProperty("state").GetString());
        Assert.Equal([21L, 22L], job.GetProperty("seeds").EnumerateArray().Select(e => e.GetInt64()));
        var images = job.GetProperty("images").EnumerateArray().ToArray();
        Assert.Equal(["image", "image", "map"], images.Select(i => i.GetProperty("kind").GetString()));   // the second control asked for no map
        using var png = await Server.Http.GetAsync(images[0].GetProperty("url").GetString());
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        Assert.Contains(".png", png.Content.Headers.ContentDisposition!.FileName);
        var bytes = await png.Content.ReadAsByteArrayAsync();
        var meta = PngMetadata.Read(bytes);
        Assert.Contains("Seed: 21", meta["parameters"]);
        var recorded = JsonSerializer.Deserialize<JobSpec>(meta[JobRunner.JobKey], ServerJson.Options)!;
        Assert.Equal(Pipelines.CfgResolutionWeighting.Paper, recorded.Controls[0].CfgResolutionWeighting);
        Assert.Equal("(omitted)", recorded.Controls[0].Image);                                  // the metadata carries no inputs
        // The library wrote the PNG as the CLI does: the run (every control setting; the images are not in it) is in it too.
        var run = GenerationRun.FromJson(meta[RunMetadata.RunKey], "the PNG's run");
        Assert.Equal((21L, 6, "dpmpp_2m"), (run.Seed, run.Steps, run.Sampler));
        Assert.Equal(("canny", "canny", 0.8, Pipelines.CfgResolutionWeighting.Paper, Pipelines.ResizeMode.JustResize),
            (run.Controls[0].Type, run.Controls[0].Preprocessor, run.Controls[0].Strength, run.Controls[0].CfgResolutionWeighting, run.Controls[0].Resize));
        Assert.Equal((true, Pipelines.GuessModeVariant.Diffusers, "none"), (run.Controls[1].GuessMode, run.Controls[1].GuessModeVariant, run.Controls[1].Preprocessor));
        Assert.All(run.Controls, c => Assert.Equal("", c.Image));
    }

    [Fact]
    public async Task Pixel_perfect_detects_the_map_at_the_size_generated()
    {
        async Task<int> MapWidth(bool pixelPerfect)
        {
            var (status, accepted) = await Server.PostAsync("/v1/generate", new
            {
                prompt = "square", steps = 1, seed = 3, width = 128, height = 128,
                controls = new[] { new { model = "canny", preprocessor = "canny", image = TestImages.SquareBase64(64), pixelPerfect } },
            });
            Assert.True(status == 202, accepted.ToString());
            var id = accepted.GetProperty("id").GetString()!;
            Assert.Equal("Done", (await fixture.WaitDoneAsync(id)).ToString());
            var job = await Server.GetJsonAsync($"/v1/jobs/{id}");
            var map = job.GetProperty("images").EnumerateArray().Single(i => i.GetProperty("kind").GetString() == "map");
            return ImageFile.LoadRgb(await Server.Http.GetByteArrayAsync(map.GetProperty("url").GetString()), "map").Width;
        }
        Assert.Equal(128, await MapWidth(pixelPerfect: true));      // detected at the 128 px it is used at (the 64 px input scaled by 2)
        Assert.NotEqual(128, await MapWidth(pixelPerfect: false));  // canny's own detect resolution otherwise
    }

    [Fact]
    public async Task Cfg_resolution_weighting_changes_the_image()
    {
        async Task<byte[]> Run(string weighting)
        {
            var (_, accepted) = await Server.PostAsync("/v1/generate", new
            {
                prompt = "square", steps = 4, seed = 2,
                controls = new[] { new { model = "canny", preprocessor = "canny", image = TestImages.SquareBase64(), cfgResolutionWeighting = weighting } },
            });
            var id = accepted.GetProperty("id").GetString()!;
            await fixture.WaitDoneAsync(id);
            return await Server.Http.GetByteArrayAsync($"/v1/jobs/{id}/images/0.png");
        }
        var off = ImageFile.LoadRgb(await Run("Off"), "off");
        var paper = ImageFile.LoadRgb(await Run("Paper"), "paper");
        Assert.NotEqual(off.Data, paper.Data);
    }

    [Fact]
    public async Task Lists_and_preprocess_serve_the_page()
    {
        var models = await Server.GetJsonAsync("/v1/models");
        Assert.Equal("canny", models.GetProperty("controlNets")[0].GetProperty("type").GetString());
        var pre = await Server.GetJsonAsync("/v1/preprocessors");
        Assert.Contains(pre.EnumerateArray(), p => p.GetProperty("id").GetString() == "canny" && p.GetProperty("options").GetArrayLength() == 3);
        Assert.Contains("euler_a", (await Server.GetJsonAsync("/v1/samplers")).EnumerateArray().Select(e => e.GetString()));
        var (status, map) = await Server.PostAsync("/v1/preprocess", new { preprocessor = "canny", image = TestImages.SquareBase64(), options = new Dictionary<string, string> { ["detect-resolution"] = "64" } });
        Assert.True(status == 200, map.ToString());
        Assert.Equal(64, map.GetProperty("width").GetInt32());
    }

    [Theory]
    [InlineData("""{"prompt": "x", "stepz": 4}""", "stepz")]
    [InlineData("""{"prompt": "x", "controls": [{"model": "canny", "image": "IMAGE", "mode": "Loud"}]}""", "controls[0].mode")]
    [InlineData("""{"prompt": "x", "controls": [{"model": "../../etc/passwd", "image": "IMAGE"}]}""", "controls[0].model")]
    [InlineData("""{"prompt": "x", "controls": [{"model": "canny", "image": "IMAGE", "options": {"low": "-5"}}]}""", "controls[0].options")]
    [InlineData("""{"prompt": "x", "controls": [{"model": "canny", "image": "https://example.com/a.png"}]}""", "controls[0].image")]
    [InlineData("""{"prompt": "x", "controls": [{"model": "canny", "image": "IMAGE", "mode": "ControlNetIsMoreImportant", "cfgResolutionWeighting": "Paper"}]}""", "controls[0].mode")]
    public async Task Bad_jobs_get_422_naming_the_field(string body, string field)
    {
        using var response = await Server.Http.PostAsync("/v1/generate", new StringContent(body.Replace("IMAGE", TestImages.SquareBase64()), Encoding.UTF8, "application/json"));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(422, (int)response.StatusCode);
        Assert.Equal(field, string.Join(".", json.GetProperty("detail")[0].GetProperty("loc").EnumerateArray().Skip(1).Select(e => e.GetString())));
    }

    [Fact]
    public async Task Unknown_jobs_are_404_and_cancel_stops_a_queued_job()
    {
        using var missing = await Server.Http.GetAsync("/v1/jobs/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var (_, slow) = await Server.PostAsync("/v1/generate", new { prompt = "x", steps = 150, batch = 8 });
        var (_, queued) = await Server.PostAsync("/v1/generate", new { prompt = "y", steps = 2 });
        using var cancel1 = await Server.Http.DeleteAsync($"/v1/jobs/{queued.GetProperty("id").GetString()}");
        using var cancel2 = await Server.Http.DeleteAsync($"/v1/jobs/{slow.GetProperty("id").GetString()}");
        Assert.True(cancel1.IsSuccessStatusCode && cancel2.IsSuccessStatusCode);
        Assert.Equal("Cancelled", (await fixture.WaitDoneAsync(queued.GetProperty("id").GetString()!)).ToString());
        Assert.Equal("Cancelled", (await fixture.WaitDoneAsync(slow.GetProperty("id").GetString()!)).ToString());
    }
}
