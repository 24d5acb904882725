using System.Text;
using ControlNet.Generators.Emitting;
using ControlNet.Generators.Models;
using ControlNet.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace ControlNet.Generators
{
    /// <summary>
    /// Emits TorchSharp U-Net and ControlNet modules for classes marked [UNetDescription] / [ControlNetDescription]
    /// (attributes defined in ControlNet.Core, namespace ControlNet.Models). This file only wires the pipeline.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class ControlNetModelGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names of the cached steps (asserted by the run-twice test).</summary>
        public static class Steps
        {
            public const string UNetDescriptions = nameof(UNetDescriptions);
            public const string UNetModels = nameof(UNetModels);
            public const string ControlNetDescriptions = nameof(ControlNetDescriptions);
            public const string ControlNetModels = nameof(ControlNetModels);
        }

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var unets = context.SyntaxProvider
                .ForAttributeWithMetadataName(DescriptionParser.UNetAttribute,
                    static (node, _) => node is ClassDeclarationSyntax,
                    DescriptionParser.ParseUNet)
                .WithTrackingName(Steps.UNetDescriptions);
            context.RegisterSourceOutput(unets.Select(static (r, _) => r.Diagnostics), ReportDiagnostics);
            var unetModels = unets.Select(static (r, _) => r.Model).WithTrackingName(Steps.UNetModels);
            context.RegisterSourceOutput(unetModels, static (spc, model) =>
            {
                if (model is not null)
                    spc.AddSource(model.Type.HintName("UNet"), SourceText.From(UNetEmitter.Emit(model), Encoding.UTF8));
            });

            var controlNets = context.SyntaxProvider
                .ForAttributeWithMetadataName(DescriptionParser.ControlNetAttribute,
                    static (node, _) => node is ClassDeclarationSyntax,
                    DescriptionParser.ParseControlNet)
                .WithTrackingName(Steps.ControlNetDescriptions);
            context.RegisterSourceOutput(controlNets.Select(static (r, _) => r.Diagnostics), ReportDiagnostics);
            var controlNetModels = controlNets.Select(static (r, _) => r.Model).WithTrackingName(Steps.ControlNetModels);
            context.RegisterSourceOutput(controlNetModels, static (spc, model) =>
            {
                if (model is not null)
                    spc.AddSource(model.Type.HintName("ControlNet"), SourceText.From(ControlNetEmitter.Emit(model), Encoding.UTF8));
            });
        }

        private static void ReportDiagnostics(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics)
        {
            foreach (var info in diagnostics)
                context.ReportDiagnostic(info.ToDiagnostic());
        }
    }
}
