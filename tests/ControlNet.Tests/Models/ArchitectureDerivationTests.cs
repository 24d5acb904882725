using ControlNet.Checkpoints;
using ControlNet.Models;
using ControlNet.Runtime;
using static TorchSharp.torch;

namespace ControlNet.Tests.Models;

/// <summary>
/// An architecture declared only here: 3 levels of widths 32/64/96, 3 res blocks per level, attention at the full and
/// quarter resolution but not in between, two transformer blocks per attention, hint downsampling 4. No table, key map
/// or catalogue line knows it; everything below derives from this description.
/// </summary>
[UNetDescription(InChannels = 4, OutChannels = 4, ModelChannels = 32, ChannelMult = new[] { 1, 2, 3 }, NumResBlocks = 3,
    AttentionResolutions = new[] { 1, 4 }, NumHeads = 2, TransformerDepth = 2, ContextDim = 24, HintDownsampling = 4)]
public sealed partial class ThreeLevelUNet;

/// <summary>ControlNet of <see cref="ThreeLevelUNet"/>.</summary>
[ControlNetDescription(typeof(ThreeLevelUNet))]
public sealed partial class ThreeLevelControlNet;

/// <summary>
/// The layout has one source: for every architecture (the catalogue's and one declared in this file) the shape table,
/// the key map and detection agree with the generated modules, with no other edit.
/// </summary>
public class ArchitectureDerivationTests
{
    public ArchitectureDerivationTests() => TorchRuntime.EnsureInitialized();

    static readonly ArchitectureCatalog.Entry ThreeLevel =
        new("three-level", ThreeLevelUNet.Architecture, (d, t) => new ThreeLevelUNet(d, t), (d, t) => new ThreeLevelControlNet(d, t));

    static IEnumerable<ArchitectureCatalog.Entry> Candidates => ArchitectureCatalog.All.Append(ThreeLevel);

    public static TheoryData<string, ModelComponent> Cases()
    {
        var data = new TheoryData<string, ModelComponent>();
        foreach (var name in Candidates.Select(e => e.Name))
            foreach (var c in new[] { ModelComponent.Unet, ModelComponent.ControlNet })
                data.Add(name, c);
        return data;
    }

    static ArchitectureCatalog.Entry Entry(string name) => Candidates.Single(e => e.Name == name);

    static nn.Module Build(ArchitectureCatalog.Entry e, ModelComponent c) =>
        c == ModelComponent.Unet ? e.CreateUNet(ArchitectureCatalog.Meta, null) : e.CreateControlNet(ArchitectureCatalog.Meta, null);

    /// <summary>Shape-only refs: detection and key mapping never read bytes.</summary>
    static List<TensorRef> Refs(IEnumerable<(string Name, long[] Shape)> shapes) =>
        shapes.Select(s => (TensorRef)new ComputedTensorRef(s.Name, TensorDType.F32, s.Shape, () => throw new InvalidOperationException("not read"))).ToList();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Shape_table_equals_the_generated_module(string name, ModelComponent component)
    {
        var e = Entry(name);
        using var module = Build(e, component);
        var actual = module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        var derived = e.Shapes.Enumerate(component);
        Assert.Equal(actual.Count, derived.Count);
        foreach (var (key, shape) in derived)
        {
            Assert.True(actual.TryGetValue(key, out var s), $"{name}: derived key {key} is not a parameter of the generated module");
            Assert.Equal(s, shape);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Key_map_names_every_tensor_once_and_maps_back(string name, ModelComponent component)
    {
        var e = Entry(name);
        var diffusers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, shape) in e.Shapes.Enumerate(component))
        {
            var df = KeyMap.ToDiffusers(component, key, shape, e.Architecture);
            Assert.True(df is not null, $"{name}: {key} has no diffusers name");
            Assert.True(diffusers.Add(df.Value.Name), $"{name}: two tensors map to {df.Value.Name}");
            var back = KeyMap.ToLdm(component, df.Value.Name, df.Value.Shape, e.Architecture);
            Assert.Equal(key, back?.Name);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Detection_finds_the_architecture_in_both_layouts(string name, ModelComponent component)
    {
        var e = Entry(name);
        var ldm = Refs(e.Shapes.Enumerate(component));
        Assert.Equal(name, ArchitectureCatalog.Detect(new ComponentWeights(component, KeyLayout.Ldm, name, ldm, []), Candidates)?.Name);

        // A diffusers file: its block numbers only make sense for its own layout, which the mapping must find.
        var diffusersRefs = ldm.Select(t => KeyMap.ToDiffusers(component, t, e.Architecture)!).ToList();
        var (mapped, unmapped) = KeyMap.ToLdm(component, diffusersRefs, Candidates);
        Assert.Empty(unmapped);
        Assert.Equal(ldm.Select(t => t.Name).Order(), mapped.Select(t => t.Name).Order());
        Assert.Equal(name, ArchitectureCatalog.Detect(new ComponentWeights(component, KeyLayout.Diffusers, name, mapped, []), Candidates)?.Name);
    }

    [Fact]
    public void Three_level_layout_follows_its_description()
    {
        var a = ThreeLevelUNet.Architecture;
        // conv_in + 3 × 3 res blocks + 2 downsamples
        Assert.Equal(12, a.InputBlockCount);
        Assert.Equal(new[] { (32, 1), (32, 1), (32, 1), (32, 1), (32, 2), (64, 2), (64, 2), (64, 2), (64, 4), (96, 4), (96, 4), (96, 4) },
            a.InputBlockOutputs().Select(o => (o.Channels, o.Downsampling)));
        var unet = ArchitectureCatalog.Detect(new ComponentWeights(ModelComponent.Unet, KeyLayout.Ldm, "", Refs(ArchitectureShapes.For(a).Enumerate(ModelComponent.Unet)), []));
        Assert.Null(unet); // not in the shipped catalogue: detection only knows what it is given

        long[] shape = [64, 64, 3, 3];
        // Block 4 is level 0's downsample (SD's is block 3); attention skips level 1 (ds 2) and has two transformer blocks.
        Assert.Equal("down_blocks.0.downsamplers.0.conv.weight", KeyMap.ToDiffusers(ModelComponent.Unet, "input_blocks.4.0.op.weight", shape, a)?.Name);
        Assert.Equal("down_blocks.2.attentions.2.transformer_blocks.1.attn2.to_k.weight",
            KeyMap.ToDiffusers(ModelComponent.Unet, "input_blocks.11.1.transformer_blocks.1.attn2.to_k.weight", [96, 24], a)?.Name);
        Assert.Null(KeyMap.ToDiffusers(ModelComponent.Unet, "input_blocks.5.1.norm.weight", [64], a));
        // Hint downsampling 4: two stride-2 convs, and the ControlNet's 13 residuals.
        Assert.Equal(13, a.ResidualCount);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cn = new ThreeLevelControlNet();   // on the CPU: the meta device cannot run convolutions
        var hint = cn.EncodeHint(zeros(1, 3, 32, 32));
        Assert.Equal(new long[] { 1, 32, 8, 8 }, hint.shape);
    }

    [Fact]
    public void Architectures_are_validated_when_built_or_registered()
    {
        var bad = Assert.Throws<ArgumentException>(() => new UNetArchitecture(4, 4, 40, [1, 2], 1, [2], 4, -1, 1, 16, false));
        Assert.Contains("multiple of the 32 GroupNorm groups", bad.Message);
        // A `with` copy skips the constructor; building modules or a catalogue entry from it validates again.
        var copy = ThreeLevelUNet.Architecture with { AttentionResolutions = [8] };
        var entry = Assert.Throws<ArgumentException>(() => new ArchitectureCatalog.Entry("bad", copy, (d, t) => new ThreeLevelUNet(d, t), (d, t) => new ThreeLevelControlNet(d, t)));
        Assert.Contains("AttentionResolutions entry 8", entry.Message);
    }
}
