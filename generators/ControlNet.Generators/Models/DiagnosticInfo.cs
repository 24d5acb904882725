using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace ControlNet.Generators.Models
{
    /// <summary>A location kept as primitives (a Location holds the syntax tree and would defeat caching).</summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

        public static LocationInfo? From(Location? location) =>
            location is null || location.SourceTree is null
                ? null
                : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }

    internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
    {
        public Diagnostic ToDiagnostic() =>
            Diagnostic.Create(Descriptor, Location?.ToLocation(), Arguments.AsArray());
    }
}
