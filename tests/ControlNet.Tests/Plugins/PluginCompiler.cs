using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ControlNet.Tests.Plugins;

/// <summary>Compiles a small C# library with Roslyn against the test's own assemblies (contract, TorchSharp, BCL).</summary>
static class PluginCompiler
{
    static readonly Lazy<MetadataReference[]> Platform = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray());

    /// <summary>Writes <paramref name="folder"/>/<paramref name="assemblyName"/>.dll; returns its path.</summary>
    public static string Compile(string assemblyName, string source, string folder, params string[] extraReferences)
    {
        Directory.CreateDirectory(folder);
        var compilation = CSharpCompilation.Create(assemblyName,
            [CSharpSyntaxTree.ParseText(source)],
            Platform.Value.Concat(extraReferences.Select(r => MetadataReference.CreateFromFile(r))),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var path = Path.Combine(folder, assemblyName + ".dll");
        using (var stream = File.Create(path))
        {
            var result = compilation.Emit(stream);
            if (!result.Success)
                throw new InvalidOperationException($"{assemblyName} did not compile:\n" + string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        }
        return path;
    }

    /// <summary>A plug-in with one preprocessor that inverts an image; <paramref name="extraMembers"/> go into the plug-in class.</summary>
    /// <summary>The test plug-in's source with one of its members replaced by <paramref name="replacement"/>.</summary>
    public static string BrokenPluginSource(string ns, string id, string member, string replacement)
    {
        var source = PluginCompiler.PluginSource(ns, id);
        int at = member == "Id" ? source.LastIndexOf($"public override string Id => \"{id}\";", StringComparison.Ordinal) : source.IndexOf(member, StringComparison.Ordinal);
        if (at < 0) throw new ArgumentException($"No member {member} in the test plug-in.", nameof(member));
        var line = member == "Id" ? $"public override string Id => \"{id}\";" : member;
        return string.Concat(source.AsSpan(0, at), replacement, source.AsSpan(at + line.Length));
    }

    public const string PreprocessorsMember = "public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = new IPreprocessor[] { new InvertPreprocessor() };";
    public const string RunBody = "var img = source.RequireImage(Id).ToRgb8();";

    public static string PluginSource(string ns, string id, string extraMembers = "", string extraUsings = "") => $$"""
        using System;
        using System.Collections.Generic;
        using System.ComponentModel;
        using System.Linq;
        using System.Threading;
        using ControlNet.Abstractions;
        {{extraUsings}}
        namespace {{ns}};

        public sealed record InvertOptions([Description("Added to every inverted sample.")] int Offset = 0);

        public sealed class InvertPreprocessor : Preprocessor<InvertOptions>
        {
            public override string Id => "{{id}}";
            public override string Description => "255 - x";
            public override ConditionImage Run(PreprocessorSource source, InvertOptions options, CancellationToken cancellationToken = default)
            {
                var img = source.RequireImage(Id).ToRgb8();
                return ConditionImage.Rgb(img.Width, img.Height, img.Data!.Select(b => (byte)Math.Clamp(255 - b + options.Offset, 0, 255)).ToArray());
            }
        }

        public sealed class InvertPlugin : ConditionPlugin
        {
            public override string Id => "{{id}}";
            public override string DisplayName => "Invert";
            public override string Description => "Test plug-in";
            public override IReadOnlyList<IPreprocessor> Preprocessors { get; } = new IPreprocessor[] { new InvertPreprocessor() };
            public override IReadOnlyList<PairedCheckpoint> Checkpoints { get; } = new[] { new PairedCheckpoint("none", "test") };
            public override IReadOnlyList<ModelFile> ModelFiles { get; } = new[] { new ModelFile("weights.bin", 1234, new Uri("https://example.org/weights.bin")) };
            {{extraMembers}}
        }
        """;
}
