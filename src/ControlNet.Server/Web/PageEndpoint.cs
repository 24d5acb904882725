using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ControlNet.Server.Web;

/// <summary>The web page at <c>/</c>: one HTML file with its script inline, embedded in the assembly (works offline).</summary>
public static class PageEndpoint
{
    static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(PageEndpoint).Assembly.GetManifestResourceStream("ControlNet.Server.Web.index.html")
            ?? throw new InvalidOperationException("The page resource is missing from ControlNet.Server.dll.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/", () => Results.Bytes(Page.Value, "text/html; charset=utf-8")).ExcludeFromDescription();
}
