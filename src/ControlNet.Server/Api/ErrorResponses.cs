using System.Text.Json;
using ControlNet.Server.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ControlNet.Server.Api;

/// <summary>
/// Every error leaves the server as one line of JSON, never a stack trace: <c>{"error": "...", "detail": [...]}</c>.
/// Validation errors are 422 with FastAPI's <c>detail</c> list (<c>loc</c> = ["body", field…]), which A1111 clients
/// already read.
/// </summary>
public static class ErrorResponses
{
    public static Task Write(HttpContext context, int status, string message, object? detail = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = detail is null ? (object)new { error = message } : new { error = message, detail };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body) + "\n");
    }

    public static Task Validation(HttpContext context, RequestValidationException e) =>
        Write(context, StatusCodes.Status422UnprocessableEntity, e.Message,
            e.Errors.Select(f => new { loc = new[] { "body" }.Concat(f.Field.Split('.')).ToArray(), msg = f.Message, type = "value_error" }).ToArray());

    /// <summary>Middleware: maps exceptions to status codes and one-line messages.</summary>
    public static async Task Handle(HttpContext context, Func<Task> next, ILogger log)
    {
        try { await next(); }
        catch (RequestValidationException e) when (!context.Response.HasStarted) { await Validation(context, e); }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await Write(context, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "The request body is larger than this server accepts; send smaller images (the cap is set with --max-body-mb)."
                : "Bad request: " + e.Message);
        }
        catch (QueueFullException e) when (!context.Response.HasStarted) { await Write(context, StatusCodes.Status503ServiceUnavailable, e.Message); }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested) { }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            log.LogError(e, "unhandled error on {Path}", context.Request.Path);
            await Write(context, StatusCodes.Status500InternalServerError, $"Internal error ({e.GetType().Name}): {e.Message.Split('\n')[0]}");
        }
    }
}
