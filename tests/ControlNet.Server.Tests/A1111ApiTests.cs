using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ControlNet.Hosting.Imaging;

namespace ControlNet.Server.Tests;

/// <summary>
/// The A1111 + sd-webui-controlnet API on the toy model through a real Kestrel: the extension's documented example
/// unchanged, every GET endpoint, detect, progress with a preview, interrupt, and 422s that name the field.
/// </summary>
public sealed class A1111ApiTests(ToyServerFixture fixture) : IClassFixture<ToyServerFixture>
{
    TestServer Server => fixture.Server;

    /// <summary>
    /// The body of the extension's example/txt2img_example/api_txt2img.py (build_body), field for field, with its
    /// image read as base64 PNG as read_image does.
    /// </summary>
    const string ExtensionExample = """
    {
        "prompt": "a large avalanche",
        "negative_prompt": "",
        "batch_size": 1,
        "steps": 20,
        "cfg_scale": 7,
        "alwayson_scripts": {
            "controlnet": {
                "args": [
                    {
                        "enabled": true,
                        "module": "none",
                        "model": "canny",
                        "weight": 1.0,
                        "image": "IMAGE",
                        "resize_mode": 1,
                        "lowvram": false,
                        "processor_res": 64,
                        "threshold_a": 64,
                        "threshold_b": 64,
                        "threshold_c": 64,
                        "guidance_start": 0.0,
                        "guidance_end": 1.0,
                        "control_mode": 0,
                        "pixel_perfect": false
                    }
                ]
            }
        }
    }
    """;

    [Fact]
    public async Task The_extensions_documented_txt2img_example_gets_the_image_and_the_detected_map()
    {
        var body = ExtensionExample.Replace("IMAGE", TestImages.SquareBase64());
        using var response = await Server.Http.PostAsync("/sdapi/v1/txt2img", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var json = JsonDocument.Parse(text).RootElement;
        var images = json.GetProperty("images").EnumerateArray().Select(i => TestImages.Decode(i.GetString()!)).ToArray();
        Assert.Equal(2, images.Length);                                      // the generated image, then the unit's map
        Assert.Equal((32, 32), (images[0].Width, images[0].Height));         // the toy model's size (server default)
        Assert.Equal((64, 64), (images[1].Width, images[1].Height));         // module none: the map is the input itself
        Assert.Equal("a large avalanche", json.GetProperty("parameters").GetProperty("prompt").GetString());
        var info = JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement;
        Assert.Equal(20, info.GetProperty("steps").GetInt32());
        Assert.Equal(7, info.GetProperty("cfg_scale").GetDouble());
        Assert.Contains("ControlNet 0: \"Module: none, Model: controlnet-canny [", info.GetProperty("infotexts")[0].GetString());
    }

    [Fact]
    public async Task Canny_units_under_the_ControlNet_key_with_batches_return_every_image_then_the_map()
    {
        var (status, json) = await Server.PostAsync("/sdapi/v1/txt2img", new
        {
            prompt = "red square on blue background",
            steps = 4,
            seed = 11,
            batch_size = 2,
            n_iter = 2,
            sampler_name = "Euler a",
            restore_faces = false,                 // an A1111 field the server does not use: ignored
            some_future_field = new { x = 1 },     // unknown: ignored as A1111 does
            alwayson_scripts = new Dictionary<string, object>
            {
                ["ControlNet"] = new { args = new object[] { new { module = "canny", model = "controlnet-canny", image = TestImages.SquareBase64(), threshold_a = 50, threshold_b = 150, control_mode = "ControlNet is more important", resize_mode = "Just Resize" } } },
            },
        });
        Assert.True(status == 200, json.ToString());
        var images = json.GetProperty("images").EnumerateArray().Select(i => TestImages.Decode(i.GetString()!)).ToArray();
        Assert.Equal(5, images.Length);
        var map = images[4];
        Assert.Contains(map.Data!, b => b == 255);                                      // canny edges
        Assert.True(map.Data!.Count(b => b == 0) > map.Data!.Length / 2);               // on black
        var info = JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement;
        Assert.Equal([11L, 12L, 13L, 14L], info.GetProperty("all_seeds").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("Euler a", info.GetProperty("sampler_name").GetString());
        Assert.Contains("Control Mode: ControlNet is more important", info.GetProperty("infotexts")[0].GetString());
    }

    [Fact]
    public async Task Same_seed_gives_the_same_pixels_and_img2img_uses_the_init_image_for_a_unit_without_one()
    {
        object Body(long seed) => new { prompt = "square", steps = 3, seed, alwayson_scripts = new { controlnet = new { args = new[] { new { module = "canny", model = "canny", image = TestImages.SquareBase64() } } } } };
        var (_, a) = await Server.PostAsync("/sdapi/v1/txt2img", Body(5));
        var (_, b) = await Server.PostAsync("/sdapi/v1/txt2img", Body(5));
        var (_, c) = await Server.PostAsync("/sdapi/v1/txt2img", Body(6));
        string First(JsonElement j) => j.GetProperty("images")[0].GetString()!;
        Assert.Equal(TestImages.Decode(First(a)).Data, TestImages.Decode(First(b)).Data);
        Assert.NotEqual(TestImages.Decode(First(a)).Data, TestImages.Decode(First(c)).Data);

        var (status, img2img) = await Server.PostAsync("/sdapi/v1/img2img", new
        {
            prompt = "square",
            steps = 4,
            denoising_strength = 0.5,
            init_images = new[] { Convert.ToBase64String(ImageFile.EncodePng(TestImages.Square(32))) },
            alwayson_scripts = new { controlnet = new { args = new[] { new { module = "canny", model = "canny", enabled = true } } } },
        });
        Assert.True(status == 200, img2img.ToString());
        Assert.Equal(2, img2img.GetProperty("images").GetArrayLength());
        var info = JsonDocument.Parse(img2img.GetProperty("info").GetString()!).RootElement;
        Assert.Equal(0.5, info.GetProperty("denoising_strength").GetDouble());
    }

    [Fact]
    public async Task Get_endpoints_answer_in_the_extensions_and_A1111s_shapes()
    {
        Assert.Equal(2, (await Server.GetJsonAsync("/controlnet/version")).GetProperty("version").GetInt32());
        var models = (await Server.GetJsonAsync("/controlnet/model_list")).GetProperty("model_list").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Matches(@"^controlnet-canny \[[0-9a-f]{8}\]$", Assert.Single(models));
        var modules = await Server.GetJsonAsync("/controlnet/module_list");
        var names = modules.GetProperty("module_list").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Contains("none", names);
        Assert.Contains("canny", names);
        Assert.DoesNotContain("seg_ofade20k", names);                                     // an estimator the SDK does not have
        Assert.True(modules.GetProperty("module_detail").GetProperty("canny").GetProperty("sliders").GetArrayLength() == 3);
        var types = (await Server.GetJsonAsync("/controlnet/control_types")).GetProperty("control_types");
        var canny = types.EnumerateObject().Single(p => p.Value.GetProperty("default_option").GetString() == "canny").Value;
        Assert.Equal(models[0], canny.GetProperty("default_model").GetString());
        Assert.True((await Server.GetJsonAsync("/controlnet/settings")).GetProperty("control_net_unit_count").GetInt32() >= 1);
        var sd = await Server.GetJsonAsync("/sdapi/v1/sd-models");
        Assert.Equal("toy", sd[0].GetProperty("model_name").GetString());
        var samplers = (await Server.GetJsonAsync("/sdapi/v1/samplers")).EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToArray();
        Assert.Contains("Euler a", samplers);
        Assert.Contains("DPM++ 2M Karras", samplers);
        Assert.Equal("toy", (await Server.GetJsonAsync("/sdapi/v1/options")).GetProperty("sd_model_checkpoint").GetString());
        var idle = await Server.GetJsonAsync("/sdapi/v1/progress");
        Assert.Equal(0.0, idle.GetProperty("progress").GetDouble());
        Assert.Equal(JsonValueKind.Null, idle.GetProperty("current_image").ValueKind);
        var openapi = await Server.GetJsonAsync("/openapi/v1.json");
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/sdapi/v1/txt2img", out _));
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/v1/generate", out _));
    }

    [Fact]
    public async Task Detect_returns_the_map_and_refuses_neural_modules()
    {
        var (status, json) = await Server.PostAsync("/controlnet/detect", new
        {
            controlnet_module = "canny",
            controlnet_input_images = new[] { TestImages.SquareBase64() },
            controlnet_processor_res = 64,
            controlnet_threshold_a = 100,
            controlnet_threshold_b = 200,
        });
        Assert.True(status == 200, json.ToString());
        Assert.Equal("Success", json.GetProperty("info").GetString());
        var map = TestImages.Decode(json.GetProperty("images")[0].GetString()!);
        Assert.Equal(64, map.Width);
        Assert.Contains(map.Data!, b => b == 255);

        (status, json) = await Server.PostAsync("/controlnet/detect", new { controlnet_module = "seg_ofade20k", controlnet_input_images = new[] { TestImages.SquareBase64() } });
        Assert.Equal(422, status);
        Assert.Contains("neural annotator", json.GetProperty("error").GetString());
        Assert.Equal("controlnet_module", json.GetProperty("detail")[0].GetProperty("loc")[1].GetString());
    }

    [Fact]
    public async Task Detect_maps_openpose_full_and_draws_hands_and_face_from_pose_json()
    {
        // A right hand with its wrist (20, 50) and thumb base (44, 50), and one face landmark (32, 10), on a 64×64 canvas.
        var hand = string.Join(",", new[] { "20,50,1", "44,50,1" }.Concat(Enumerable.Repeat("0,0,0", 19)));
        var face = string.Join(",", new[] { "32,10,1" }.Concat(Enumerable.Repeat("0,0,0", 69)));
        var pose = $$"""{"people":[{"pose_keypoints_2d":[{{string.Join(",", new int[54])}}],"face_keypoints_2d":[{{face}}],"hand_right_keypoints_2d":[{{hand}}]}],"canvas_width":64,"canvas_height":64}""";
        var (status, json) = await Server.PostAsync("/controlnet/detect", new
        {
            controlnet_module = "openpose_full",
            controlnet_input_images = new[] { Convert.ToBase64String(Encoding.UTF8.GetBytes(pose)) },
        });
        Assert.True(status == 200, json.ToString());
        var map = TestImages.Decode(json.GetProperty("images")[0].GetString()!);
        Assert.Equal((64, 64), (map.Width, map.Height));
        (byte, byte, byte) Rgb(int x, int y) { int i = (y * 64 + x) * 3; return (map.Data![i], map.Data[i + 1], map.Data[i + 2]); }
        Assert.Equal(((byte)0, (byte)0, (byte)255), Rgb(20, 50));   // hand point
        Assert.Equal(((byte)255, (byte)0, (byte)0), Rgb(32, 50));   // edge 0
        Assert.Equal(((byte)255, (byte)255, (byte)255), Rgb(32, 10)); // face landmark
    }

    [Theory]
    [InlineData("""{"prompt": "x", "steps": "many"}""", "steps")]
    [InlineData("""{"prompt": "x", "width": 33}""", "width")]
    [InlineData("""{"prompt": "x", "sampler_name": "Heun++"}""", "sampler_name")]
    [InlineData("""{"prompt": "x", "batch_size": 5, "n_iter": 2}""", "batch_size")]
    [InlineData("""{"prompt": "x", "alwayson_scripts": {"controlnet": {"args": [{"model": "canny", "image": "IMAGE", "weight": "heavy"}]}}}""", "alwayson_scripts.controlnet.args[0].weight")]
    [InlineData("""{"prompt": "x", "alwayson_scripts": {"controlnet": {"args": [{"enabled": false}, {"module": "dw_openpose_full", "model": "canny", "image": "IMAGE"}]}}}""", "alwayson_scripts.controlnet.args[1].module")]
    [InlineData("""{"prompt": "x", "alwayson_scripts": {"controlnet": {"args": [{"module": "canny", "model": "control_v11p_sd15_depth", "image": "IMAGE"}]}}}""", "alwayson_scripts.controlnet.args[0].model")]
    [InlineData("""{"prompt": "x", "alwayson_scripts": {"controlnet": {"args": [{"module": "canny", "model": "canny", "image": "not base64!"}]}}}""", "alwayson_scripts.controlnet.args[0].image")]
    [InlineData("""{"prompt": "x", "alwayson_scripts": {"controlnet": {"args": [{"module": "canny", "model": "canny", "image": "IMAGE", "guidance_start": 0.8, "guidance_end": 0.2}]}}}""", "alwayson_scripts.controlnet.args[0].guidance_start")]
    [InlineData("""{"prompt": "x", "alwayson_scripts": {"controlnet": {"args": [{"module": "canny", "model": "canny", "image": "IMAGE", "control_mode": 7}]}}}""", "alwayson_scripts.controlnet.args[0].control_mode")]
    [InlineData("""{"prompt": "x",""", "body")]
    public async Task Bad_payloads_get_422_naming_the_field_on_one_line(string body, string field)
    {
        using var response = await Server.Http.PostAsync("/sdapi/v1/txt2img",
            new StringContent(body.Replace("IMAGE", TestImages.SquareBase64()), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(422, (int)response.StatusCode);
        Assert.Single(text.TrimEnd('\n').Split('\n'));                              // one line, no stack trace
        var json = JsonDocument.Parse(text).RootElement;
        var loc = string.Join(".", json.GetProperty("detail")[0].GetProperty("loc").EnumerateArray().Skip(1).Select(e => e.GetString()));
        Assert.Equal(field, loc);
        Assert.Contains(field.Split('.')[^1].Split('[')[0], json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Progress_shows_a_preview_while_a_job_runs_and_interrupt_returns_the_image_so_far()
    {
        var running = Server.Http.PostAsJsonAsync("/sdapi/v1/txt2img", new { prompt = "square", steps = 150, batch_size = 2, n_iter = 4, seed = 3 });
        JsonElement? seen = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (seen is null && DateTime.UtcNow < deadline && !running.IsCompleted)
        {
            var p = await Server.GetJsonAsync("/sdapi/v1/progress");
            if (p.GetProperty("progress").GetDouble() > 0 && p.GetProperty("current_image").ValueKind == JsonValueKind.String) seen = p;
            else await Task.Delay(20);
        }
        Assert.True(seen is not null, "no progress with a preview was reported while the job ran");
        var preview = TestImages.Decode(seen.Value.GetProperty("current_image").GetString()!);
        Assert.Equal(32, preview.Width);                                                     // toy model: the latent is the image
        Assert.True(seen.Value.GetProperty("state").GetProperty("sampling_step").GetInt32() > 0);

        using var interrupt = await Server.Http.PostAsync("/sdapi/v1/interrupt", null);
        Assert.True(interrupt.IsSuccessStatusCode);
        using var response = await running;
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        // As A1111: the batch that was sampling comes back decoded from where it stopped; the later batches never start.
        var info = JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement;
        Assert.True(info.GetProperty("interrupted").GetBoolean());
        Assert.Equal(2, json.GetProperty("images").GetArrayLength());
        var image = TestImages.Decode(json.GetProperty("images")[0].GetString()!);
        Assert.Equal((32, 32), (image.Width, image.Height));
        Assert.Equal([3L, 4L], info.GetProperty("all_seeds").EnumerateArray().Select(e => e.GetInt64()));
    }
}
