using System.Text.Json;
using ControlNet.Hosting.Plugins;
using ControlNet.Hosting.Runs;
using ControlNet.Sampling;
using ControlNet.Server.Api;
using ControlNet.Server.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ControlNet.Server.A1111;

/// <summary>
/// The A1111 web UI API with the sd-webui-controlnet extension's additions (extension API version 2), so existing
/// clients work unchanged. Each txt2img/img2img request is a job; the call returns when it is done.
/// </summary>
public static class A1111Endpoints
{
    /// <summary>The extension's API version that clients check.</summary>
    public const int ExtensionApiVersion = 2;

    public static void Map(IEndpointRouteBuilder app)
    {
        var sd = app.MapGroup("/sdapi/v1").WithTags("A1111");
        sd.MapPost("/txt2img", (HttpContext c, JobSubmitter jobs, A1111Translator t, ModelRegistry m) => Generate(c, jobs, t, m, img2img: false))
            .WithSummary("A1111 txt2img with alwayson_scripts.controlnet units; images = generated, then each unit's detected map.");
        sd.MapPost("/img2img", (HttpContext c, JobSubmitter jobs, A1111Translator t, ModelRegistry m) => Generate(c, jobs, t, m, img2img: true))
            .WithSummary("A1111 img2img (init_images, mask, denoising_strength) with ControlNet units.");
        sd.MapGet("/sd-models", (ModelRegistry m) => new[]
        {
            new { title = Title(m), model_name = m.BaseName, hash = m.BaseHash, sha256 = (string?)null, filename = m.BaseName, config = (string?)null },
        });
        sd.MapGet("/samplers", () => SamplerFactory.All.Select(s => new { name = s.A1111Name ?? s.Name, aliases = new[] { s.Name }, options = new Dictionary<string, string>() }));
        sd.MapGet("/options", (ModelRegistry m) => new Dictionary<string, object>
        {
            ["sd_model_checkpoint"] = Title(m),
            ["sd_checkpoint_hash"] = m.BaseHash,
            ["samples_format"] = "png",
            ["CLIP_stop_at_last_layers"] = 1,
            ["eta_ddim"] = 0.0,
            ["control_net_unit_count"] = UnitCount,
        });
        sd.MapGet("/progress", Progress);
        sd.MapPost("/interrupt", async (IJobQueue q) => { await q.InterruptAsync(); return Results.Json(new { }); });

        var cn = app.MapGroup("/controlnet").WithTags("ControlNet extension");
        cn.MapGet("/version", () => new { version = ExtensionApiVersion });
        cn.MapGet("/model_list", (ModelRegistry m) => new { model_list = m.ControlNets.Select(c => c.Title) });
        cn.MapGet("/module_list", (PluginCatalog catalog) =>
        {
            var modules = A1111Modules.Available(catalog);
            return new
            {
                module_list = modules.Select(x => x.Name),
                module_detail = modules.ToDictionary(x => x.Name, x => new { model_free = false, sliders = Sliders(x, catalog), description = x.Note }),
            };
        });
        cn.MapGet("/control_types", ControlTypes);
        cn.MapGet("/settings", () => new { control_net_unit_count = UnitCount });
        cn.MapPost("/detect", Detect);
    }

    // The extension's default number of units in its UI; the server itself takes any number.
    const int UnitCount = 3;

    static string Title(ModelRegistry m) => m.BaseHash.Length == 0 ? m.BaseName : $"{m.BaseName} [{m.BaseHash}]";

    static async Task Generate(HttpContext context, JobSubmitter jobs, A1111Translator translator, ModelRegistry models, bool img2img)
    {
        var body = await RequestBody.ReadAsync(context.Request);
        var request = A1111Translator.Parse(body);
        var (spec, fieldName) = translator.ToJob(request, img2img);
        var id = await jobs.SubmitAsync(spec, fieldName, context.RequestAborted);
        context.Response.Headers["X-Job-Id"] = id;
        var status = await jobs.WaitAsync(id, context.RequestAborted);
        if (status.State == JobState.Failed)
        {
            await ErrorResponses.Write(context, StatusCodes.Status500InternalServerError, $"Job {id} failed: {status.Error}");
            return;
        }
        var output = status.State == JobState.Done ? await jobs.Queue.GetOutputAsync(id, context.RequestAborted) : null;
        var images = request.SendImages == false || output is null ? [] : output.Images.Select(i => Convert.ToBase64String(i.Png)).ToArray();
        // Interrupted (A1111's /interrupt) jobs are done with the image so far, as in A1111; cancelled ones have none.
        var info = output is null
            ? new Dictionary<string, object?> { ["interrupted"] = true, ["job_id"] = id }
            : Info(output, spec, models, id);
        await context.Response.WriteAsJsonAsync(new { images, parameters = body, info = JsonSerializer.Serialize(info) });
    }

    static Dictionary<string, object?> Info(JobOutput o, JobSpec spec, ModelRegistry models, string id) => new()
    {
        ["prompt"] = o.Prompt,
        ["all_prompts"] = Enumerable.Repeat(o.Prompt, o.Seeds.Count),
        ["negative_prompt"] = o.Negative,
        ["all_negative_prompts"] = Enumerable.Repeat(o.Negative, o.Seeds.Count),
        ["seed"] = o.Seeds.FirstOrDefault(),
        ["all_seeds"] = o.Seeds,
        ["subseed"] = -1,
        ["all_subseeds"] = Enumerable.Repeat(-1, o.Seeds.Count),
        ["subseed_strength"] = 0,
        ["width"] = o.Width,
        ["height"] = o.Height,
        ["sampler_name"] = SamplerFactory.ToA1111(o.Sampler).Sampler,
        ["scheduler"] = SamplerFactory.ToA1111(o.Sampler).ScheduleType,
        ["cfg_scale"] = o.Cfg,
        ["steps"] = o.Steps,
        ["batch_size"] = o.Batch,
        ["restore_faces"] = false,
        ["sd_model_name"] = models.BaseName,
        ["sd_model_hash"] = models.BaseHash,
        ["denoising_strength"] = spec.Strength,
        ["index_of_first_image"] = 0,
        ["infotexts"] = o.Infotexts,
        ["styles"] = Array.Empty<string>(),
        ["clip_skip"] = 1,
        ["job_id"] = id,
        ["worker"] = o.Worker,
        ["interrupted"] = o.Interrupted,
    };

    static async Task<IResult> Progress(IJobQueue queue, bool skip_current_image = false)
    {
        var id = await queue.GetCurrentAsync();
        var status = id is null ? null : await queue.GetAsync(id);
        if (status is null || status.IsFinished)
            return Results.Json(new { progress = 0.0, eta_relative = 0.0, state = State(null), current_image = (string?)null, textinfo = (string?)null });
        string? preview = null;
        if (!skip_current_image && await queue.GetPreviewAsync(status.Id) is { } png) preview = Convert.ToBase64String(png);
        double elapsed = status.StartedAtMs == 0 ? 0 : (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - status.StartedAtMs) / 1000.0;
        double eta = status.Progress > 0 ? elapsed / status.Progress - elapsed : 0;
        return Results.Json(new { progress = status.Progress, eta_relative = eta, state = State(status), current_image = preview, textinfo = (string?)null });
    }

    static object State(JobStatus? s) => new
    {
        skipped = false,
        interrupted = s?.State == JobState.Cancelled,
        job = s?.Id ?? "",
        job_count = s is null ? 0 : 1,
        job_timestamp = s is null ? "0" : DateTimeOffset.FromUnixTimeMilliseconds(s.StartedAtMs).ToString("yyyyMMddHHmmss"),
        job_no = 0,
        sampling_step = s?.Step ?? 0,
        sampling_steps = s?.TotalSteps ?? 0,
    };

    // Option names of the SDK's preprocessors as the extension's sliders (name, value, min, max).
    static object[] Sliders(A1111Modules.Module module, PluginCatalog catalog)
    {
        if (module.Preprocessor is null) return [];
        var options = catalog.FindPreprocessor(module.Preprocessor).Preprocessor.Options;
        var sliders = new List<object>();
        foreach (var (option, label) in new[] { (A1111Modules.ResolutionOption, "Preprocessor Resolution"), (module.ThresholdA, "threshold_a"), (module.ThresholdB, "threshold_b") })
            if (option is not null && options.FirstOrDefault(o => o.Name == option) is { } d)
                sliders.Add(new { name = label == "Preprocessor Resolution" ? label : $"{d.Name} ({label})", value = double.TryParse(d.DefaultValue, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0, description = d.Description });
        return sliders.ToArray();
    }

    static object ControlTypes(PluginCatalog catalog, ModelRegistry models)
    {
        var modules = A1111Modules.Available(catalog);
        var types = new Dictionary<string, object>
        {
            ["All"] = new { module_list = modules.Select(m => m.Name), model_list = models.ControlNets.Select(c => c.Title).Prepend("None"), default_option = "none", default_model = "None" },
        };
        foreach (var plugin in catalog.Plugins.Select(p => p.Plugin))
        {
            var own = modules.Where(m => m.Preprocessor is not null && plugin.Preprocessors.Any(p => p.Id == m.Preprocessor)).Select(m => m.Name).ToList();
            var modelList = models.ControlNets.Where(c => c.Type == plugin.Id).Select(c => c.Title).ToList();
            types[plugin.DisplayName] = new
            {
                module_list = own.Prepend("none"),
                model_list = modelList.Prepend("None"),
                default_option = own.FirstOrDefault() ?? "none",
                default_model = modelList.FirstOrDefault() ?? "None",
            };
        }
        return new { control_types = types };
    }

    static async Task<IResult> Detect(HttpContext context, JobRunner runner, PluginCatalog catalog, A1111Translator translator)
    {
        var body = await RequestBody.ReadAsync(context.Request);
        if (body.ValueKind != JsonValueKind.Object) throw new RequestValidationException("body", "must be a JSON object.");
        DetectRequest request;
        try { request = body.Deserialize<DetectRequest>(A1111Request.Json)!; }
        catch (JsonException e) { throw new RequestValidationException((e.Path ?? "$").TrimStart('$', '.'), "has the wrong type."); }
        var (module, error) = A1111Modules.Find(request.Module, catalog);
        if (module is null) throw new RequestValidationException("controlnet_module", error!);
        if (request.Images is not { Count: > 0 }) throw new RequestValidationException("controlnet_input_images", "is empty; send at least one base64 image.");
        var options = translator.ModuleOptions(module, request.ProcessorRes, request.ThresholdA, request.ThresholdB);
        var images = new List<string>();
        for (int i = 0; i < request.Images.Count; i++)
        {
            string? mask = request.Masks is { } masks && i < masks.Count ? masks[i] : null;
            RequestValidationException Rename(RequestValidationException e) => e.Rename(f => f.EndsWith(".mask", StringComparison.Ordinal) ? $"controlnet_masks[{i}]" : f.EndsWith(".image", StringComparison.Ordinal) ? $"controlnet_input_images[{i}]" : "controlnet_module");
            try
            {
                var map = await Task.Run(() => runner.Preprocess(module.Preprocessor ?? Pipelines.ControlParameters.NoPreprocessor, request.Images[i], mask, options, "input", context.RequestAborted));
                images.Add(Convert.ToBase64String(Hosting.Imaging.ImageFile.EncodePng(JobRunner.MapForDisplay(map))));
            }
            catch (RequestValidationException e) { throw Rename(e); }
        }
        return Results.Json(new { images, info = "Success" });
    }

    sealed class DetectRequest
    {
        [System.Text.Json.Serialization.JsonPropertyName("controlnet_module")] public string? Module { get; init; }
        [System.Text.Json.Serialization.JsonPropertyName("controlnet_input_images")] public List<string>? Images { get; init; }
        [System.Text.Json.Serialization.JsonPropertyName("controlnet_masks")] public List<string>? Masks { get; init; }
        [System.Text.Json.Serialization.JsonPropertyName("controlnet_processor_res")] public double ProcessorRes { get; init; } = -1;
        [System.Text.Json.Serialization.JsonPropertyName("controlnet_threshold_a")] public double ThresholdA { get; init; } = -1;
        [System.Text.Json.Serialization.JsonPropertyName("controlnet_threshold_b")] public double ThresholdB { get; init; } = -1;
    }
}
