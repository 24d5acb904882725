using Microsoft.CodeAnalysis;

namespace ControlNet.Generators
{
    /// <summary>Every diagnostic of the generator. Each message says what is wrong and how to fix it.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "ControlNet.Generators";

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
                helpLinkUri: "docs/architecture.md#diagnostics");

        public static readonly DiagnosticDescriptor NotPartial = Error("CNET0001",
            "Described class is not partial",
            "'{0}' is marked [{1}] but is not partial; declare it as 'partial class {0}' so the generator can add the module code");

        public static readonly DiagnosticDescriptor MissingProperty = Error("CNET0002",
            "Required description value missing",
            "[UNetDescription] on '{0}' does not set {1}; add '{1} = …' (SD 1.5 uses {2})");

        public static readonly DiagnosticDescriptor NotPositive = Error("CNET0003",
            "Description value must be positive",
            "[UNetDescription] on '{0}' sets {1} = {2}; it must be a positive number");

        public static readonly DiagnosticDescriptor NotDivisibleByGroups = Error("CNET0004",
            "Level width not divisible by the 32 norm groups",
            "'{0}': level {1} width ModelChannels {2} × ChannelMult[{1}] {3} = {4} is not divisible by the 32 GroupNorm groups; choose ModelChannels and ChannelMult so that every level width is a multiple of 32");

        public static readonly DiagnosticDescriptor HeadsDoNotDivide = Error("CNET0005",
            "Heads do not divide the channels",
            "'{0}': level {1} width {2} is not divisible by {3} = {4}; choose a value that divides every level width (SD 1.5: NumHeads = 8, SD 2.1: NumHeadChannels = 64)");

        public static readonly DiagnosticDescriptor HeadsChoice = Error("CNET0006",
            "Exactly one of NumHeads and NumHeadChannels",
            "'{0}' sets NumHeads = {1} and NumHeadChannels = {2}; set exactly one of them to a positive value (SD 1.5: NumHeads = 8, SD 2.1: NumHeadChannels = 64)");

        public static readonly DiagnosticDescriptor AttentionResolutionNotALevel = Error("CNET0007",
            "Attention resolution at a level that does not exist",
            "'{0}': AttentionResolutions entry {1} is not the downsampling factor of any level; with {2} levels the factors are {3}; remove the entry or add a level to ChannelMult");

        public static readonly DiagnosticDescriptor ControlNetTargetNotUNet = Error("CNET0008",
            "ControlNet target is not a U-Net description",
            "'{0}' is declared as the ControlNet of '{1}', which has no [UNetDescription]; pass typeof(...) of a class declared with [UNetDescription]");

        public static readonly DiagnosticDescriptor HintDownsampling = Error("CNET0009",
            "Unsupported hint downsampling",
            "'{0}' sets HintDownsampling = {1}; use 8 (latent diffusion, image = 8 × latent), 4, 2 or 1 (pixel space)");

        public static readonly DiagnosticDescriptor NestedOrGeneric = Error("CNET0010",
            "Described class is nested or generic",
            "'{0}' is nested or generic; declare the described class as a top-level, non-generic partial class");

        public static readonly DiagnosticDescriptor ControlNetTargetInvalid = Error("CNET0011",
            "ControlNet target description has errors",
            "'{0}' is the ControlNet of '{1}', whose [UNetDescription] is invalid; fix the errors reported on '{1}' first");

        public static readonly DiagnosticDescriptor BothDescriptions = Error("CNET0012",
            "Class is both a U-Net and a ControlNet",
            "'{0}' has both [UNetDescription] and [ControlNetDescription]; declare the U-Net and its ControlNet as two classes");
    }
}
