using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ControlNet.Generators.Tests;

/// <summary>Run twice with an unrelated edit: every tracked step must come from the cache (tier 2).</summary>
public class CachingTests
{
    [Fact]
    public void Second_run_after_an_unrelated_edit_is_fully_cached()
    {
        var compilation = GeneratorHarness.Compile(SnapshotTests.Tiny);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.Equal(2, first.GeneratedSources.Length);

        var edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Other { internal static class Unrelated { } }",
            new CSharpParseOptions(LanguageVersion.Latest), path: "Unrelated.cs"));
        var second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        string[] steps =
        [
            ControlNetModelGenerator.Steps.UNetDescriptions, ControlNetModelGenerator.Steps.UNetModels,
            ControlNetModelGenerator.Steps.ControlNetDescriptions, ControlNetModelGenerator.Steps.ControlNetModels,
        ];
        foreach (var step in steps)
        {
            Assert.True(second.TrackedSteps.TryGetValue(step, out var runs), $"step {step} was not tracked");
            Assert.All(runs.SelectMany(r => r.Outputs), o =>
                Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(r => r.Outputs),
            o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Changing_a_description_regenerates_it()
    {
        var compilation = GeneratorHarness.Compile(SnapshotTests.Tiny);
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var changed = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(),
            CSharpSyntaxTree.ParseText(SnapshotTests.Tiny.Replace("ContextDim = 16", "ContextDim = 24"),
                new CSharpParseOptions(LanguageVersion.Latest), path: "Description0.cs"));
        var result = driver.RunGenerators(changed).GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[ControlNetModelGenerator.Steps.UNetModels].SelectMany(r => r.Outputs),
            o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("contextDim: 24", result.GeneratedSources.Single(s => s.HintName.Contains("TinyUNet")).SourceText.ToString());
    }
}
