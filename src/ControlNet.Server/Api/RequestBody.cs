using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ControlNet.Server.Api;

/// <summary>Reads a JSON body; malformed JSON is a 422 that says where it broke.</summary>
public static class RequestBody
{
    public static async Task<JsonElement> ReadAsync(HttpRequest request)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, default, request.HttpContext.RequestAborted);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new RequestValidationException("body", $"is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }
    }
}
