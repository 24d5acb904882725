using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace ControlNet.Server.Api;

/// <summary>
/// With an API key set, every path but the page (<c>/</c>) needs <c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c>
/// (the page asks for the key and sends it). Compared in constant time.
/// </summary>
public static class ApiKeyCheck
{
    public static async Task Handle(HttpContext context, Func<Task> next, string? key)
    {
        if (key is null || context.Request.Path == "/" || Matches(context.Request, key)) { await next(); return; }
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await ErrorResponses.Write(context, StatusCodes.Status401Unauthorized,
            "This server needs an API key: send the header 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'.");
    }

    static bool Matches(HttpRequest request, string key)
    {
        string? given = request.Headers["X-Api-Key"].FirstOrDefault();
        var auth = request.Headers.Authorization.FirstOrDefault();
        if (given is null && auth is not null && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) given = auth[7..].Trim();
        // Server-sent events come from EventSource, which cannot set headers: the page passes the key as ?key=.
        given ??= request.Query["key"].FirstOrDefault();
        return given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key));
    }
}
