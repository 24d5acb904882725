using System.Text.Json;
using System.Text.Json.Serialization;
using ControlNet.Pipelines;

namespace ControlNet.Hosting.Runs;

/// <summary>The text forms of control modes and resize modes in control specs and run files.</summary>
public static class ControlModeNames
{
    public static ControlMode Mode(string text) => text.Trim().ToLowerInvariant() switch
    {
        "balanced" => ControlMode.Balanced,
        "prompt" or "prompt-is-more-important" => ControlMode.PromptIsMoreImportant,
        "control" or "controlnet" or "control-net-is-more-important" => ControlMode.ControlNetIsMoreImportant,
        _ => throw new ArgumentException($"Control mode '{text}' is unknown; use balanced, prompt (prompt is more important) or control (ControlNet is more important)."),
    };

    /// <summary>The run-file name of a control mode: balanced, prompt or control.</summary>
    public static string Name(ControlMode mode) => mode switch
    {
        ControlMode.PromptIsMoreImportant => "prompt",
        ControlMode.ControlNetIsMoreImportant => "control",
        _ => "balanced",
    };

    /// <summary>The run-file name of a resize mode: just-resize, crop-and-resize or resize-and-fill.</summary>
    public static string Name(ResizeMode mode) => mode switch
    {
        ResizeMode.JustResize => "just-resize",
        ResizeMode.ResizeAndFill => "resize-and-fill",
        _ => "crop-and-resize",
    };

    public static ResizeMode Resize(string text) => text.Trim().ToLowerInvariant() switch
    {
        "just-resize" or "resize" or "stretch" => ResizeMode.JustResize,
        "crop-and-resize" or "crop" => ResizeMode.CropAndResize,
        "resize-and-fill" or "fill" => ResizeMode.ResizeAndFill,
        _ => throw new ArgumentException($"Resize mode '{text}' is unknown; use just-resize, crop-and-resize (default) or resize-and-fill."),
    };

    /// <summary>A control mode in a run file: written as <see cref="Name(ControlMode)"/>, read with every name <see cref="Mode"/> knows.</summary>
    public sealed class ModeJson : JsonConverter<ControlMode>
    {
        public override ControlMode Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parse(ref reader, Mode);
        public override void Write(Utf8JsonWriter writer, ControlMode value, JsonSerializerOptions options) => writer.WriteStringValue(Name(value));
    }

    /// <summary>A resize mode in a run file: written as <see cref="Name(ResizeMode)"/>, read with every name <see cref="Resize"/> knows.</summary>
    public sealed class ResizeJson : JsonConverter<ResizeMode>
    {
        public override ResizeMode Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => Parse(ref reader, Resize);
        public override void Write(Utf8JsonWriter writer, ResizeMode value, JsonSerializerOptions options) => writer.WriteStringValue(Name(value));
    }

    static T Parse<T>(ref Utf8JsonReader reader, Func<string, T> parse)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException($"expected a string, got {reader.TokenType}.");
        try { return parse(reader.GetString()!); }
        catch (ArgumentException e) { throw new JsonException(e.Message); }
    }
}
