using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ControlNet.Checkpoints;

/// <summary>What <c>controlnet inspect</c> prints: format, architecture and per-component counts, read from headers only.</summary>
public sealed record CheckpointReport(
    string Source, string Container, string Format, BaseArchitecture Architecture,
    IReadOnlyList<CheckpointReport.Component> Components, int IgnoredKeys, IReadOnlyList<string> UnknownKeys, bool HasEma,
    IReadOnlyList<string> NonTensorEntries)
{
    public sealed record Component(ModelComponent Kind, KeyLayout Layout, int Tensors, long Parameters, IReadOnlyList<string> DTypes, long Bytes, int UnmappedKeys);

    public static CheckpointReport Of(Checkpoint c) => new(
        c.Source, c.Container, c.Format, c.Architecture,
        c.Components.OrderBy(x => x.Component).Select(x => new Component(x.Component, x.SourceLayout, x.Tensors.Count, x.ParameterCount,
            x.DTypes.Select(d => d.SafetensorsName()).ToList(), x.ByteCount, x.UnmappedKeys.Count)).ToList(),
        c.IgnoredKeys.Count, c.UnknownKeys, c.HasEma, c.Files.SelectMany(f => f.NonTensorEntries).ToList());

    public string ToText()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(ci, $"source:        {Source}");
        sb.AppendLine(ci, $"container:     {Container}");
        sb.AppendLine(ci, $"format:        {Format}");
        var arch = Architecture switch { BaseArchitecture.Sd1 => "SD 1.x (context 768)", BaseArchitecture.Sd2 => "SD 2.x (context 1024)", _ => "unknown" };
        sb.AppendLine(ci, $"architecture:  {arch}");
        sb.AppendLine();
        sb.AppendLine(ci, $"{"component",-18} {"layout",-9} {"tensors",8} {"parameters",15} {"dtypes",-10} {"bytes",15}");
        foreach (var x in Components)
            sb.AppendLine(ci, $"{x.Kind.DisplayName(),-18} {x.Layout.ToString().ToLowerInvariant(),-9} {x.Tensors,8:N0} {x.Parameters,15:N0} {string.Join(",", x.DTypes),-10} {x.Bytes,15:N0}{(x.UnmappedKeys > 0 ? "  (" + x.UnmappedKeys + " keys without a mapping)" : "")}");
        sb.AppendLine(ci, $"{"total",-18} {"",-9} {Components.Sum(x => x.Tensors),8:N0} {Components.Sum(x => x.Parameters),15:N0} {"",-10} {Components.Sum(x => x.Bytes),15:N0}");
        sb.AppendLine();
        sb.AppendLine(ci, $"ignored keys:  {IgnoredKeys} (schedule buffers, position_ids, model_ema.*){(HasEma ? "; EMA weights present (use --ema)" : "")}");
        if (UnknownKeys.Count > 0) sb.AppendLine(ci, $"unknown keys:  {UnknownKeys.Count} (e.g. {string.Join(", ", UnknownKeys.Take(3))})");
        if (NonTensorEntries.Count > 0) sb.AppendLine(ci, $"other entries: {string.Join(", ", NonTensorEntries.Take(8))}");
        return sb.ToString();
    }

    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("source", Source);
            w.WriteString("container", Container);
            w.WriteString("format", Format);
            w.WriteString("architecture", Architecture switch { BaseArchitecture.Sd1 => "sd1", BaseArchitecture.Sd2 => "sd2", _ => "unknown" });
            w.WriteStartArray("components");
            foreach (var x in Components)
            {
                w.WriteStartObject();
                w.WriteString("component", x.Kind switch { ModelComponent.Unet => "unet", ModelComponent.ControlNet => "controlnet", ModelComponent.Vae => "vae", ModelComponent.T2IAdapter => "t2i_adapter", ModelComponent.StyleAdapter => "t2i_style_adapter", _ => "text_encoder" });
                w.WriteString("layout", x.Layout == KeyLayout.Ldm ? "ldm" : "diffusers");
                w.WriteNumber("tensors", x.Tensors);
                w.WriteNumber("parameters", x.Parameters);
                w.WriteStartArray("dtypes");
                foreach (var d in x.DTypes) w.WriteStringValue(d);
                w.WriteEndArray();
                w.WriteNumber("bytes", x.Bytes);
                w.WriteNumber("unmappedKeys", x.UnmappedKeys);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("ignoredKeys", IgnoredKeys);
            w.WriteStartArray("unknownKeys");
            foreach (var k in UnknownKeys) w.WriteStringValue(k);
            w.WriteEndArray();
            w.WriteBoolean("hasEma", HasEma);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
