using System.Text.Json;
using System.Text.RegularExpressions;
using ControlNet.Checkpoints;
using ControlNet.Hosting.Imaging;
using ControlNet.Tests;

namespace ControlNet.Server.Tests;

/// <summary>
/// The server on what users run: an SD 1.5 single file and a ControlNet 1.1 file in the real layouts (random fp16
/// weights, written here, since nothing can be downloaded), at 64 × 64 with 2 steps. One test, so the files are
/// written and the weights loaded once.
/// </summary>
public sealed class FullSizeSd15Tests
{
    [FullSizeFact]
    public async Task The_a1111_and_own_endpoints_serve_a_full_size_SD15_file_with_a_controlnet_at_64px()
    {
        using var gate = FullSizeGate.Enter();   // peak ~6.4 GB; not beside the other projects' full-size tests
        var dir = Directory.CreateTempSubdirectory("controlnet-server-sd15-").FullName;
        try
        {
            var sd = Path.Combine(dir, "v1-5-random.safetensors");
            var cn = Path.Combine(dir, "control_v11p_sd15_canny.safetensors");
            WeightsFile.Write(sd, WeightInit.Random(ArchitectureShapes.Sd15, [ModelComponent.Unet, ModelComponent.Vae, ModelComponent.TextEncoder], TensorDType.F16, 0));
            WeightsFile.Write(cn, WeightInit.Random(ArchitectureShapes.Sd15, [ModelComponent.ControlNet], TensorDType.F16, 1));
            await using var server = await TestServer.StartAsync(new ServerOptions { BaseModel = sd, Controls = [$"canny={cn}"] });

            // The lists name the files as the extension does, "name [hash]"; nothing is loaded for them.
            var title = Assert.Single((await server.GetJsonAsync("/controlnet/model_list")).GetProperty("model_list").EnumerateArray()).GetString()!;
            Assert.Matches(@"^control_v11p_sd15_canny \[[0-9a-f]{8}\]$", title);
            Assert.StartsWith("v1-5-random [", Assert.Single((await server.GetJsonAsync("/sdapi/v1/sd-models")).EnumerateArray()).GetProperty("title").GetString());
            Assert.Equal(JsonValueKind.String, (await server.GetJsonAsync("/sdapi/v1/options")).GetProperty("sd_model_checkpoint").ValueKind);

            // txt2img with a canny unit named by its title: the 64 × 64 image, then the detected map.
            var square = TestImages.SquareBase64();
            var (status, json) = await server.PostAsync("/sdapi/v1/txt2img", new
            {
                prompt = "a red square", negative_prompt = "blurry", steps = 2, width = 64, height = 64, seed = 5, cfg_scale = 7, sampler_name = "DPM++ 2M Karras",
                alwayson_scripts = new { controlnet = new { args = new[] { new { module = "canny", model = title, image = square, processor_res = 64, threshold_a = 50, threshold_b = 150, weight = 0.8 } } } },
            });
            Assert.True(status == 200, json.ToString());
            var images = json.GetProperty("images").EnumerateArray().Select(e => TestImages.Decode(e.GetString()!)).ToArray();
            Assert.Equal([(64, 64), (64, 64)], images.Select(i => (i.Width, i.Height)));
            var info = JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement;
            var infotext = info.GetProperty("infotexts")[0].GetString()!;
            Assert.Matches(new Regex(@"Steps: 2, Sampler: DPM\+\+ 2M, Schedule type: Karras, CFG scale: 7, Seed: 5, Size: 64x64, Model hash: [0-9a-f]{10}, Model: v1-5-random, "), infotext);
            Assert.Contains($"ControlNet 0: \"Module: canny, Model: {title}, Weight: 0.8, Resize Mode: Crop and Resize, Processor Res: 64, Threshold A: 50, Threshold B: 150,", infotext);

            // img2img: the unit without an image uses the init image, as the extension does.
            (status, json) = await server.PostAsync("/sdapi/v1/img2img", new
            {
                prompt = "a red square", steps = 2, width = 64, height = 64, seed = 6, denoising_strength = 0.5, init_images = new[] { square },
                alwayson_scripts = new { ControlNet = new { args = new[] { new { module = "canny", model = "canny", processor_res = 64 } } } },
            });
            Assert.True(status == 200, json.ToString());
            Assert.Equal(2, json.GetProperty("images").GetArrayLength());
            Assert.Contains("Denoising strength: 0.5", JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement.GetProperty("infotexts")[0].GetString());

            // The own API: CFG resolution weighting (which A1111 cannot say), polled to the end; the PNG carries its settings.
            (status, json) = await server.PostAsync("/v1/generate", new
            {
                prompt = "a red square", steps = 2, width = 64, height = 64, seed = 7, sampler = "lcm",
                controls = new[] { new { model = "canny", preprocessor = "canny", image = square, options = new Dictionary<string, string> { ["detect-resolution"] = "64" }, cfgResolutionWeighting = "Paper" } },
            });
            Assert.True(status == 202, json.ToString());
            var id = json.GetProperty("id").GetString()!;
            var deadline = DateTime.UtcNow.AddMinutes(3);
            JsonElement job;
            while ((job = await server.GetJsonAsync($"/v1/jobs/{id}")).GetProperty("state").GetString() is "queued" or "running")
            {
                Assert.True(DateTime.UtcNow < deadline, "the job did not finish in 3 minutes");
                await Task.Delay(100);
            }
            Assert.Equal("done", job.GetProperty("state").GetString());
            var png = await server.Http.GetByteArrayAsync($"/v1/jobs/{id}/images/0.png");
            Assert.Equal(64, ImageFile.LoadRgb(png, "job image").Width);
            Assert.Contains("Sampler: LCM", PngMetadata.Read(png)["parameters"]);

            // A size the SD 1.5 U-Net cannot take is a 422 naming the field, before anything runs.
            (status, json) = await server.PostAsync("/sdapi/v1/txt2img", new { prompt = "x", width = 60, height = 64, steps = 2 });
            Assert.Equal(422, status);
            Assert.Contains("width", json.GetProperty("error").GetString());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
