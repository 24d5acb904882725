using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using ControlNet.Generators.Models;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ControlNet.Generators.Parsing
{
    /// <summary>Turns attribute data into equatable models plus diagnostics; never keeps symbols or syntax.</summary>
    internal static class DescriptionParser
    {
        public const string UNetAttribute = "ControlNet.Models.UNetDescriptionAttribute";
        public const string ControlNetAttribute = "ControlNet.Models.ControlNetDescriptionAttribute";

        // Required named values and the SD 1.5 value quoted in the "missing" message.
        private static readonly (string Name, string Sd15)[] Required =
        {
            ("InChannels", "4"), ("OutChannels", "4"), ("ModelChannels", "320"), ("ChannelMult", "new[] { 1, 2, 4, 4 }"),
            ("NumResBlocks", "2"), ("AttentionResolutions", "new[] { 4, 2, 1 }"), ("ContextDim", "768"),
        };

        public static ParseResult<UNetTypeModel> ParseUNet(GeneratorAttributeSyntaxContext context, CancellationToken ct)
        {
            var symbol = (INamedTypeSymbol)context.TargetSymbol;
            var diagnostics = new List<DiagnosticInfo>();
            var target = ParseTarget(symbol, context.TargetNode, "UNetDescription", diagnostics);
            // CNET0012: a class that is both gets neither partial (two would collide: CS0102/CS0111/CS0579);
            // the ControlNet side stays silent and emits nothing too (ParseControlNet).
            var both = HasControlNetDescription(symbol);
            if (both)
                diagnostics.Add(Diag(DiagnosticDescriptors.BothDescriptions, Identifier(context.TargetNode), symbol.Name));
            var arch = ParseArchitecture(symbol.Name, context.Attributes[0], diagnostics, ct);
            return Result(diagnostics, target is null || arch is null || both ? null : new UNetTypeModel(target, arch));
        }

        public static ParseResult<ControlNetTypeModel> ParseControlNet(GeneratorAttributeSyntaxContext context, CancellationToken ct)
        {
            var symbol = (INamedTypeSymbol)context.TargetSymbol;
            var attribute = context.Attributes[0];
            var diagnostics = new List<DiagnosticInfo>();
            var target = ParseTarget(symbol, context.TargetNode, "ControlNetDescription", diagnostics);
            var attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax(ct).GetLocation();

            var unet = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as INamedTypeSymbol : null;
            var unetAttribute = unet?.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == UNetAttribute);
            if (unet is null || unetAttribute is null)
            {
                diagnostics.Add(Diag(DiagnosticDescriptors.ControlNetTargetNotUNet, attributeLocation, symbol.Name,
                    unet?.ToDisplayString() ?? "?"));
                return Result<ControlNetTypeModel>(diagnostics, null);
            }

            // The U-Net reports its own description errors; here one summary diagnostic is enough.
            var arch = ParseArchitecture(unet.Name, unetAttribute, new List<DiagnosticInfo>(), ct);
            if (arch is null)
                diagnostics.Add(Diag(DiagnosticDescriptors.ControlNetTargetInvalid, attributeLocation, symbol.Name, unet.ToDisplayString()));
            var model = target is null || arch is null || HasUNetDescription(symbol)
                ? null
                : new ControlNetTypeModel(target, unet.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), arch);
            return Result(diagnostics, model);
        }

        private static bool HasControlNetDescription(INamedTypeSymbol symbol) =>
            symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ControlNetAttribute);

        private static bool HasUNetDescription(INamedTypeSymbol symbol) =>
            symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == UNetAttribute);

        private static TypeTarget? ParseTarget(INamedTypeSymbol symbol, SyntaxNode node, string attributeName, List<DiagnosticInfo> diagnostics)
        {
            var ok = true;
            if (symbol.ContainingType is not null || symbol.IsGenericType)
            {
                diagnostics.Add(Diag(DiagnosticDescriptors.NestedOrGeneric, Identifier(node), symbol.Name));
                ok = false;
            }
            var isPartial = symbol.DeclaringSyntaxReferences
                .Select(r => r.GetSyntax())
                .OfType<ClassDeclarationSyntax>()
                .Any(c => c.Modifiers.Any(m => m.IsKind(SyntaxKind.PartialKeyword)));
            if (!isPartial)
            {
                diagnostics.Add(Diag(DiagnosticDescriptors.NotPartial, Identifier(node), symbol.Name, attributeName));
                ok = false;
            }
            var ns = symbol.ContainingNamespace.IsGlobalNamespace ? null : symbol.ContainingNamespace.ToDisplayString();
            return ok ? new TypeTarget(ns, symbol.Name) : null;
        }

        private static ArchitectureModel? ParseArchitecture(string typeName, AttributeData attribute, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(ct) as AttributeSyntax;
            var values = attribute.NamedArguments.ToDictionary(a => a.Key, a => a.Value);
            Location? At(string name) =>
                syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.Text == name)?.GetLocation()
                ?? syntax?.GetLocation();
            var before = diagnostics.Count;

            foreach (var (name, sd15) in Required)
                if (!values.ContainsKey(name))
                    diagnostics.Add(Diag(DiagnosticDescriptors.MissingProperty, syntax?.GetLocation(), typeName, name, sd15));
            if (diagnostics.Count > before) return null;

            int Int(string name, int fallback) => values.TryGetValue(name, out var v) && v.Value is int i ? i : fallback;
            int[] Ints(string name) => values.TryGetValue(name, out var v) && v.Kind == TypedConstantKind.Array && !v.IsNull
                ? v.Values.Select(x => x.Value is int i ? i : 0).ToArray()
                : new int[0];

            var arch = new ArchitectureModel(
                Int("InChannels", 0), Int("OutChannels", 0), Int("ModelChannels", 0),
                new EquatableArray<int>(Ints("ChannelMult")), Int("NumResBlocks", 0),
                new EquatableArray<int>(Ints("AttentionResolutions")),
                Int("NumHeads", -1), Int("NumHeadChannels", -1), Int("TransformerDepth", 1), Int("ContextDim", 0),
                values.TryGetValue("UseLinearProjection", out var lin) && lin.Value is true,
                Int("HintChannels", 3), Int("HintDownsampling", 8));

            foreach (var (name, value) in new[]
            {
                ("InChannels", arch.InChannels), ("OutChannels", arch.OutChannels), ("ModelChannels", arch.ModelChannels),
                ("NumResBlocks", arch.NumResBlocks), ("TransformerDepth", arch.TransformerDepth), ("ContextDim", arch.ContextDim),
                ("HintChannels", arch.HintChannels),
            })
                if (value <= 0)
                    diagnostics.Add(Diag(DiagnosticDescriptors.NotPositive, At(name), typeName, name, Str(value)));
            if (arch.Levels == 0 || arch.ChannelMult.Any(m => m <= 0))
                diagnostics.Add(Diag(DiagnosticDescriptors.NotPositive, At("ChannelMult"), typeName, "every ChannelMult entry",
                    "[" + string.Join(", ", arch.ChannelMult.Select(Str)) + "]"));
            if (diagnostics.Count > before) return null;

            if ((arch.NumHeads > 0) == (arch.NumHeadChannels > 0))
                diagnostics.Add(Diag(DiagnosticDescriptors.HeadsChoice, At(arch.NumHeads > 0 ? "NumHeads" : "NumHeadChannels"),
                    typeName, Str(arch.NumHeads), Str(arch.NumHeadChannels)));
            if (arch.HintDownsampling != 1 && arch.HintDownsampling != 2 && arch.HintDownsampling != 4 && arch.HintDownsampling != 8)
                diagnostics.Add(Diag(DiagnosticDescriptors.HintDownsampling, At("HintDownsampling"), typeName, Str(arch.HintDownsampling)));

            for (var level = 0; level < arch.Levels; level++)
            {
                var width = arch.ModelChannels * arch.ChannelMult[level];
                if (width % 32 != 0)
                    diagnostics.Add(Diag(DiagnosticDescriptors.NotDivisibleByGroups, At("ModelChannels"), typeName,
                        Str(level), Str(arch.ModelChannels), Str(arch.ChannelMult[level]), Str(width)));
                else if (arch.NumHeads > 0 != arch.NumHeadChannels > 0)
                {
                    var (setting, divisor) = arch.NumHeadChannels > 0 ? ("NumHeadChannels", arch.NumHeadChannels) : ("NumHeads", arch.NumHeads);
                    if (width % divisor != 0)
                        diagnostics.Add(Diag(DiagnosticDescriptors.HeadsDoNotDivide, At(setting), typeName,
                            Str(level), Str(width), setting, Str(divisor)));
                }
            }

            var factors = Enumerable.Range(0, arch.Levels).Select(l => 1 << l).ToArray();
            foreach (var ds in arch.AttentionResolutions)
                if (!factors.Contains(ds))
                    diagnostics.Add(Diag(DiagnosticDescriptors.AttentionResolutionNotALevel, At("AttentionResolutions"), typeName,
                        Str(ds), Str(arch.Levels), string.Join(", ", factors.Select(Str))));

            return diagnostics.Count > before ? null : arch;
        }

        private static Location Identifier(SyntaxNode node) =>
            node is ClassDeclarationSyntax c ? c.Identifier.GetLocation() : node.GetLocation();

        private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

        private static DiagnosticInfo Diag(DiagnosticDescriptor descriptor, Location? location, params string[] args) =>
            new DiagnosticInfo(descriptor, LocationInfo.From(location), new EquatableArray<string>(args));

        private static ParseResult<T> Result<T>(List<DiagnosticInfo> diagnostics, T? model) where T : class =>
            new ParseResult<T>(model, new EquatableArray<DiagnosticInfo>(diagnostics));
    }
}
