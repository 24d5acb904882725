using System.Globalization;
using ControlNet.Checkpoints;

namespace ControlNet.Tests.Checkpoints;

/// <summary>The key map and the shape enumeration against every row of the shared reference table (read at test time).</summary>
public class KeyMapTests
{
    sealed record Row(ModelComponent Component, string Ldm, string Diffusers, long[] LdmShape, long[] DiffusersShape);

    static readonly Lazy<List<Row>> Rows = new(() => File.ReadAllLines(ReferenceFile("checkpoint-keys.tsv")).Skip(1)
        .Where(l => l.Length > 0)
        .Select(l => l.Split('\t'))
        .Select(f => new Row(Component(f[0]), f[1], f[2], Shape(f[3]), Shape(f[4])))
        .ToList());

    /// <summary>Walks up from the test folder to a sibling shared/reference, then CONTROLNET_SHARED_DATA/../reference, then /work/shared.</summary>
    public static string ReferenceFile(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "shared", "reference", name);
            if (File.Exists(p)) return p;
        }
        if (Environment.GetEnvironmentVariable("CONTROLNET_SHARED_DATA") is { Length: > 0 } env && File.Exists(Path.Combine(env, "..", "reference", name)))
            return Path.Combine(env, "..", "reference", name);
        return Path.Combine("/work/shared/reference", name);
    }

    static ModelComponent Component(string s) => s switch
    {
        "unet" => ModelComponent.Unet,
        "controlnet" => ModelComponent.ControlNet,
        "vae" => ModelComponent.Vae,
        "text_encoder" => ModelComponent.TextEncoder,
        _ => throw new InvalidDataException(s),
    };

    static long[] Shape(string s) => s.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();

    static string Canonical(Row r) => r.Ldm[r.Component.LdmPrefix().Length..];
    static string DiffusersName(Row r) => r.Diffusers[(r.Diffusers.IndexOf('/') + 1)..];

    [Fact]
    public void Reference_table_has_all_1470_rows()
    {
        Assert.Equal(1470, Rows.Value.Count);
        Assert.Equal(686, Rows.Value.Count(r => r.Component == ModelComponent.Unet));
    }

    [Fact]
    public void Every_ldm_key_maps_to_its_diffusers_key_and_shape_and_back()
    {
        var failures = new List<string>();
        foreach (var r in Rows.Value)
        {
            Assert.StartsWith(r.Component.LdmPrefix(), r.Ldm);
            var df = KeyMap.ToDiffusers(r.Component, Canonical(r), r.LdmShape);
            if (df is null || df.Value.Name != DiffusersName(r) || !df.Value.Shape.SequenceEqual(r.DiffusersShape))
                failures.Add($"{r.Ldm} → {df?.Name ?? "null"} [{string.Join(",", df?.Shape ?? Array.Empty<long>())}], expected {DiffusersName(r)}");
            var back = KeyMap.ToLdm(r.Component, DiffusersName(r), r.DiffusersShape);
            if (back is null || back.Value.Name != Canonical(r) || !back.Value.Shape.SequenceEqual(r.LdmShape))
                failures.Add($"{DiffusersName(r)} → {back?.Name ?? "null"}, expected {Canonical(r)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void Unknown_names_are_not_passed_through()
    {
        Assert.Null(KeyMap.ToDiffusers(ModelComponent.Unet, "input_blocks.99.0.in_layers.0.weight", new long[] { 4 }));
        Assert.Null(KeyMap.ToLdm(ModelComponent.ControlNet, "down_blocks.0.resnets.0.bogus.weight", new long[] { 4 }));
        Assert.Equal("decoder.mid.attn_1.q.weight", KeyMap.ToLdm(ModelComponent.Vae, "decoder.mid_block.attentions.0.query.weight", new long[] { 8, 8 })!.Value.Name);
    }

    [Theory]
    [InlineData(ModelComponent.Unet, 686, 859_520_964L)]
    [InlineData(ModelComponent.ControlNet, 340, 361_279_120L)]
    [InlineData(ModelComponent.Vae, 248, 83_653_863L)]
    [InlineData(ModelComponent.TextEncoder, 196, 123_060_480L)]
    public void Shapes_derived_from_the_config_equal_the_reference_table(ModelComponent component, int tensors, long parameters)
    {
        var derived = ArchitectureShapes.Sd15.Enumerate(component);
        Assert.Equal(tensors, derived.Count);
        Assert.Equal(parameters, derived.Sum(s => s.Shape.Aggregate(1L, (a, b) => a * b)));
        var reference = Rows.Value.Where(r => r.Component == component).ToDictionary(Canonical, r => r.LdmShape);
        foreach (var (name, shape) in derived)
        {
            Assert.True(reference.TryGetValue(name, out var expected), $"derived key {name} is not in the reference table");
            Assert.Equal(expected, shape);
        }
    }

    [Fact]
    public void Tiny_architecture_has_the_same_keys_as_sd15()
    {
        // A T2I-Adapter is no part of a base model's shapes (its layout is T2IAdapterConfig's).
        foreach (var c in Enum.GetValues<ModelComponent>().Where(c => c is not (ModelComponent.T2IAdapter or ModelComponent.StyleAdapter)))
            Assert.Equal(ArchitectureShapes.Sd15.Enumerate(c).Select(s => s.Name), ArchitectureShapes.Tiny.Enumerate(c).Select(s => s.Name));
    }
}
