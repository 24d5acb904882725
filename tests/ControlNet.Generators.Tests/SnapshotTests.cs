using Snapshooter;
using Snapshooter.Xunit;

namespace ControlNet.Generators.Tests;

/// <summary>Exact text of the generated modules (tier 1). Update with SNAPSHOOTER_STRICT_MODE unset and review the diff.</summary>
public class SnapshotTests
{
    public const string Tiny = """
        using ControlNet.Models;

        namespace Acme.Models;

        [UNetDescription(InChannels = 4, OutChannels = 4, ModelChannels = 32, ChannelMult = new[] { 1, 2 }, NumResBlocks = 1,
            AttentionResolutions = new[] { 2 }, NumHeads = 2, ContextDim = 16)]
        public partial class TinyUNet { }

        [ControlNetDescription(typeof(TinyUNet))]
        public partial class TinyControlNet { }
        """;

    public const string Sd15 = """
        using ControlNet.Models;

        namespace Acme.Models;

        [UNetDescription(InChannels = 4, OutChannels = 4, ModelChannels = 320, ChannelMult = new[] { 1, 2, 4, 4 }, NumResBlocks = 2,
            AttentionResolutions = new[] { 4, 2, 1 }, NumHeads = 8, TransformerDepth = 1, ContextDim = 768)]
        public sealed partial class MySd15UNet;

        [ControlNetDescription(typeof(MySd15UNet))]
        public sealed partial class MySd15ControlNet;
        """;

    [Theory]
    [InlineData("tiny", Tiny)]
    [InlineData("sd15", Sd15)]
    public void Generated_sources_match_the_snapshots(string name, string source)
    {
        var (result, _) = GeneratorHarness.Run(source);
        Assert.Empty(result.Diagnostics);
        Assert.Equal(2, result.GeneratedSources.Length);
        foreach (var generated in result.GeneratedSources)
            Snapshot.Match(generated.SourceText.ToString(), SnapshotNameExtension.Create(name, generated.HintName));
    }

    [Fact]
    public void Hint_names_are_type_then_part()
    {
        var (result, _) = GeneratorHarness.Run(Tiny);
        Assert.Equal(new[] { "Acme.Models.TinyControlNet.ControlNet.g.cs", "Acme.Models.TinyUNet.UNet.g.cs" },
            result.GeneratedSources.Select(s => s.HintName).Order());
    }
}
