using System.Text.Json;
using System.Text.Json.Serialization;
using ControlNet.Hosting.Plugins;
using ControlNet.Sampling;
using ControlNet.Server.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ControlNet.Server.Api;

/// <summary>
/// The server's own API (<c>/v1</c>): what A1111's cannot say — any number of ControlNets with every knob of
/// <c>controlnet generate</c> (guess mode variant, CFG resolution weighting, per-control resize), jobs that return at
/// once with an id, progress as server-sent events, PNGs with their metadata.
/// </summary>
public static class OwnEndpoints
{
    /// <summary>The job format is strict: a misspelt field is a 422 naming it, not a silent default.</summary>
    static readonly JsonSerializerOptions StrictJson = new(ServerJson.Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static void Map(IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").WithTags("ControlNet");
        v1.MapPost("/generate", Generate).WithSummary("Queue a job (JobSpec); 202 with its id and the URLs to follow it.");
        v1.MapGet("/jobs/{id}", Job).WithSummary("A job's state, progress and (when done) its images.");
        v1.MapDelete("/jobs/{id}", async (string id, IJobQueue q) => await q.CancelAsync(id) ? Results.Json(new { id, cancelled = true }) : NotFound(id));
        v1.MapGet("/jobs/{id}/events", Events).WithSummary("Server-sent events: 'progress' on every change, then 'done', 'failed' or 'cancelled'.");
        v1.MapGet("/jobs/{id}/preview.png", async (string id, IJobQueue q) => await q.GetPreviewAsync(id) is { } png ? Results.Bytes(png, "image/png") : NotFound(id, "has no preview yet"));
        v1.MapGet("/jobs/{id}/images/{index:int}.png", Image).WithSummary("One output PNG (generated images first, then condition maps), with the run in its metadata.");
        v1.MapPost("/preprocess", Preprocess).WithSummary("Run a preprocessor on an image: {preprocessor, image, mask?, options?} → {image} (base64 PNG).");
        v1.MapGet("/models", (ModelRegistry m) => new
        {
            baseModel = new { name = m.BaseName, hash = m.BaseHash },
            controlNets = m.ControlNets.Select(c => new { name = c.Name, hash = c.Hash, title = c.Title, type = c.Type }),
        });
        v1.MapGet("/preprocessors", (PluginCatalog catalog) => catalog.Plugins.SelectMany(p => p.Plugin.Preprocessors.Select(pre => new
        {
            id = pre.Id,
            plugin = p.Plugin.Id,
            description = pre.Description,
            input = pre.Input.ToString(),
            options = pre.Options.Select(o => new { name = o.Name, type = o.Type, defaultValue = o.DefaultValue, description = o.Description, allowed = o.AllowedValues }),
        })));
        v1.MapGet("/samplers", () => SamplerFactory.Names);
    }

    static IResult NotFound(string id, string what = "is not known here (finished jobs are kept for an hour)") =>
        Results.Json(new { error = $"Job '{id}' {what}." }, statusCode: StatusCodes.Status404NotFound);

    static async Task<IResult> Generate(HttpContext context, JobSubmitter jobs)
    {
        var body = await RequestBody.ReadAsync(context.Request);
        if (body.ValueKind != JsonValueKind.Object) throw new RequestValidationException("body", "must be a JSON object (see GET /openapi/v1.json, JobSpec).");
        JobSpec spec;
        try { spec = body.Deserialize<JobSpec>(StrictJson)!; }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
            throw new RequestValidationException(field, e.Message.Split(". Path:")[0].Split(" Path:")[0]);
        }
        var id = await jobs.SubmitAsync(spec, null, context.RequestAborted);
        return Results.Json(new { id, status = $"/v1/jobs/{id}", events = $"/v1/jobs/{id}/events" }, statusCode: StatusCodes.Status202Accepted);
    }

    static async Task<IResult> Job(string id, IJobQueue queue)
    {
        var status = await queue.GetAsync(id);
        if (status is null) return NotFound(id);
        var output = status.State == JobState.Done ? await queue.GetOutputAsync(id) : null;
        return Results.Json(Describe(status, output), ServerJson.Options);
    }

    static object Describe(JobStatus s, JobOutput? o) => new
    {
        id = s.Id,
        state = s.State.ToString().ToLowerInvariant(),
        step = s.Step,
        totalSteps = s.TotalSteps,
        progress = s.Progress,
        error = s.Error,
        worker = s.Worker,
        previewVersion = s.PreviewVersion,
        images = o?.Images.Select((img, i) => new { kind = img.Kind, url = $"/v1/jobs/{s.Id}/images/{i}.png" }),
        seeds = o?.Seeds,
        infotexts = o?.Infotexts,
        elapsedSeconds = o?.ElapsedSeconds,
    };

    static async Task Events(HttpContext context, string id, IJobQueue queue)
    {
        var status = await queue.GetAsync(id);
        if (status is null) { await NotFound(id).ExecuteAsync(context); return; }
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        JobStatus? last = null;
        var ct = context.RequestAborted;
        while (!ct.IsCancellationRequested)
        {
            status = await queue.GetAsync(id, ct);
            if (status is null) break;
            if (status != last)
            {
                var output = status.State == JobState.Done ? await queue.GetOutputAsync(id, ct) : null;
                string kind = status.IsFinished ? status.State.ToString().ToLowerInvariant() : "progress";
                await context.Response.WriteAsync($"event: {kind}\ndata: {JsonSerializer.Serialize(Describe(status, output), ServerJson.Options)}\n\n", ct);
                await context.Response.Body.FlushAsync(ct);
                last = status;
                if (status.IsFinished) break;
            }
            await Task.Delay(100, ct);
        }
    }

    static async Task<IResult> Image(string id, int index, IJobQueue queue)
    {
        var output = await queue.GetOutputAsync(id);
        if (output is null) return NotFound(id, "has no images (unknown, or not done)");
        if (index < 0 || index >= output.Images.Count) return NotFound(id, $"has {output.Images.Count} images; index {index} is out of range");
        var kind = output.Images[index].Kind;
        return Results.File(output.Images[index].Png, "image/png", $"controlnet-{id[..8]}-{index}-{kind}.png");
    }

    sealed record PreprocessRequest(string? Preprocessor, string? Image, string? Mask, Dictionary<string, string>? Options);

    static async Task<IResult> Preprocess(HttpContext context, JobRunner runner)
    {
        var body = await RequestBody.ReadAsync(context.Request);
        PreprocessRequest request;
        try { request = body.Deserialize<PreprocessRequest>(StrictJson)!; }
        catch (JsonException e) { throw new RequestValidationException((e.Path ?? "$").TrimStart('$', '.') is { Length: > 0 } f ? f : "body", "has the wrong type or is unknown."); }
        var map = await Task.Run(() => runner.Preprocess(request.Preprocessor ?? Pipelines.ControlParameters.NoPreprocessor, request.Image ?? "", request.Mask, request.Options, "request", context.RequestAborted));
        return Results.Json(new { image = Convert.ToBase64String(Hosting.Imaging.ImageFile.EncodePng(JobRunner.MapForDisplay(map))), width = map.Width, height = map.Height });
    }
}
