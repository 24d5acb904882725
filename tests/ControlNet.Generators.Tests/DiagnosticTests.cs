using Microsoft.CodeAnalysis;

namespace ControlNet.Generators.Tests;

/// <summary>Each bad description is a compile-time error with its id, at the offending text, and no generated code.</summary>
public class DiagnosticTests
{
    private const string Valid = "InChannels = 4, OutChannels = 4, ModelChannels = 64, ChannelMult = new[] { 1, 2 }, NumResBlocks = 1, AttentionResolutions = new[] { 2 }, NumHeads = 4, ContextDim = 16";

    private static string UNet(string args, string declaration = "public partial class Net { }") =>
        "using ControlNet.Models;\nnamespace Acme;\n[UNetDescription(" + args + ")]\n" + declaration + "\n";

    public static TheoryData<string, string, string, string> Cases => new()
    {
        // id, source, text the diagnostic must point at, fragment of the message
        { "CNET0001", UNet(Valid, "public class Net { }"), "Net", "is not partial" },
        { "CNET0002", UNet("InChannels = 4, OutChannels = 4, ChannelMult = new[] { 1 }, NumResBlocks = 1, AttentionResolutions = new int[0], NumHeads = 4, ContextDim = 16"),
            "UNetDescription(", "does not set ModelChannels" },
        { "CNET0003", UNet(Valid.Replace("NumResBlocks = 1", "NumResBlocks = 0")), "NumResBlocks = 0", "NumResBlocks = 0" },
        { "CNET0004", UNet(Valid.Replace("ModelChannels = 64", "ModelChannels = 40")), "ModelChannels = 40", "not divisible by the 32 GroupNorm groups" },
        { "CNET0005", UNet(Valid.Replace("NumHeads = 4", "NumHeads = 3")), "NumHeads = 3", "not divisible by NumHeads = 3" },
        { "CNET0006", UNet(Valid + ", NumHeadChannels = 32"), "NumHeads = 4", "set exactly one" },
        { "CNET0007", UNet(Valid.Replace("new[] { 2 }", "new[] { 2, 8 }")), "AttentionResolutions = new[] { 2, 8 }", "entry 8" },
        { "CNET0008", "using ControlNet.Models;\nnamespace Acme;\npublic class NotAUNet { }\n[ControlNetDescription(typeof(NotAUNet))]\npublic partial class Cn { }\n",
            "ControlNetDescription(typeof(NotAUNet))", "has no [UNetDescription]" },
        { "CNET0009", UNet(Valid + ", HintDownsampling = 3"), "HintDownsampling = 3", "HintDownsampling = 3" },
        { "CNET0010", "using ControlNet.Models;\nnamespace Acme;\npublic partial class Outer {\n[UNetDescription(" + Valid + ")]\npublic partial class Inner { }\n}\n",
            "Inner", "nested or generic" },
        { "CNET0011", UNet(Valid.Replace("NumHeads = 4", "NumHeads = 3")) + "[ControlNetDescription(typeof(Net))]\npublic partial class Cn { }\n",
            "ControlNetDescription(typeof(Net))", "is invalid" },
        { "CNET0012", "using ControlNet.Models;\nnamespace Acme;\n[UNetDescription(" + Valid + ")]\npublic partial class A { }\n[UNetDescription(" + Valid + ")]\n[ControlNetDescription(typeof(A))]\npublic partial class B { }\n",
            "B", "both" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_description_reports_the_diagnostic_at_the_offending_text(string id, string source, string at, string message)
    {
        var (result, output) = GeneratorHarness.Run(source);
        var diagnostic = result.Diagnostics.FirstOrDefault(d => d.Id == id);
        Assert.True(diagnostic is not null, $"expected {id}, got: {string.Join("; ", result.Diagnostics)}");
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));

        var span = diagnostic.Location.SourceSpan;
        // Locations are rebuilt from primitives (file, span) so the generator's models stay cacheable.
        Assert.Equal("Description0.cs", diagnostic.Location.GetLineSpan().Path);
        var text = source;
        var expectedStart = at == "Net" || at == "Inner" || at == "B"
            ? text.IndexOf("class " + at, StringComparison.Ordinal) + "class ".Length
            : text.IndexOf(at, StringComparison.Ordinal);
        Assert.True(expectedStart >= 0);
        Assert.Equal(expectedStart, span.Start);
        Assert.StartsWith(at, text.Substring(span.Start, span.Length), StringComparison.Ordinal);
        // No code for the offending type, and nothing generated that breaks the build (CNET0012 once emitted both
        // partials of one class: CS0102/CS0111/CS0579).
        var offender = OffendingType(id);
        Assert.DoesNotContain(result.GeneratedSources, s => s.HintName.StartsWith("Acme." + offender + ".", StringComparison.Ordinal));
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"{id}: the generated code does not compile: {string.Join("; ", errors.Take(5))}");
    }

    private static string OffendingType(string id) => id switch
    {
        "CNET0008" or "CNET0011" => "Cn",
        "CNET0010" => "Inner",
        "CNET0012" => "B",
        _ => "Net",
    };

    [Fact]
    public void A_class_with_both_descriptions_gets_no_code_while_the_valid_unet_beside_it_does()
    {
        var source = "using ControlNet.Models;\nnamespace Acme;\n[UNetDescription(" + Valid + ")]\npublic partial class A { }\n" +
                     "[UNetDescription(" + Valid + ")]\n[ControlNetDescription(typeof(A))]\npublic partial class B { }\n";
        var (result, output) = GeneratorHarness.Run(source);
        Assert.Equal("CNET0012", Assert.Single(result.Diagnostics).Id);
        Assert.Equal("Acme.A.UNet.g.cs", Assert.Single(result.GeneratedSources).HintName);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Valid_description_reports_nothing()
    {
        var (result, _) = GeneratorHarness.Run(UNet(Valid));
        Assert.Empty(result.Diagnostics);
        Assert.Single(result.GeneratedSources);
    }
}
