using System.Globalization;
using ControlNet.Hosting.Runs;
using ControlNet.Pipelines;

namespace ControlNet.Cli.Generation;

/// <summary>Parses <c>--control TYPE:IMAGE[:key=value,…]</c> into a <see cref="RunControl"/> (the CLI's parsing layer).</summary>
public static class ControlSpec
{
    /// <summary>The keys the spec itself understands; any other key is a preprocessor option.</summary>
    /// <remarks><c>adapter</c>, <c>scale</c> and <c>factor</c> are the T2I-Adapter names of <c>model</c>, <c>strength</c> and <c>end</c>
    /// (diffusers <c>adapter_conditioning_scale</c> / <c>adapter_conditioning_factor</c>); the kind is read from the file.</remarks>
    public static readonly string[] Keys = ["model", "adapter", "strength", "scale", "start", "end", "factor", "mode", "guess", "resize", "pre", "pixel-perfect", "pixel_perfect"];

    public static RunControl Parse(string spec)
    {
        int colon = spec.IndexOf(':');
        if (colon <= 0 || colon == spec.Length - 1)
            throw Usage(spec, "expected TYPE:IMAGE[:key=value,…], e.g. canny:photo.png:low=50,strength=0.8");
        var type = spec[..colon].Trim();
        var rest = spec[(colon + 1)..];
        string image = rest, options = "";
        // The options are the part after the last ':' when it holds key=value pairs, so image paths may contain ':'.
        int last = rest.LastIndexOf(':');
        if (last >= 0 && rest[(last + 1)..].Contains('=')) (image, options) = (rest[..last], rest[(last + 1)..]);
        if (image.Length == 0) throw Usage(spec, "the IMAGE part is empty");

        var control = new RunControl { Type = type, Image = image };
        var extra = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in options.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0) throw Usage(spec, $"'{pair}' is not key=value");
            var key = pair[..eq].Trim().ToLowerInvariant();
            var value = pair[(eq + 1)..].Trim();
            control = key switch
            {
                "model" => control with { Model = value },
                // adapter= says what the file must be: a ControlNet there is an error naming model= as the fix.
                "adapter" => control with { Model = ControlNetPipelineLoader.RequireAdapter(value) },
                "strength" or "scale" => control with { Strength = Number(spec, key, value) },
                "start" => control with { Start = Number(spec, key, value) },
                "end" or "factor" => control with { End = Number(spec, key, value) },
                "mode" => control with { Mode = Parse(spec, value, ControlModeNames.Mode) },
                "guess" => control with { GuessMode = value.Length == 0 || Bool(spec, key, value) },
                "pixel-perfect" or "pixel_perfect" => control with { PixelPerfect = value.Length == 0 || Bool(spec, key, value) },
                "resize" => control with { Resize = Parse(spec, value, ControlModeNames.Resize) },
                "pre" => control with { Preprocessor = value },
                _ => control,
            };
            if (!Keys.Contains(key)) extra[key] = value;
        }
        return control with { Options = extra };
    }

    static double Number(string spec, string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw Usage(spec, $"{key} must be a number, got '{value}'");

    static T Parse<T>(string spec, string value, Func<string, T> parse)
    {
        try { return parse(value); }
        catch (ArgumentException e) { throw Usage(spec, e.Message.TrimEnd('.')); }
    }

    static bool Bool(string spec, string key, string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw Usage(spec, $"{key} must be true or false, got '{value}'"),
    };

    static UserFacingException Usage(string spec, string problem) =>
        new($"--control '{spec}': {problem}. Keys: {string.Join(", ", Keys)}, or a preprocessor option (controlnet plugins list).", ExitCodes.Usage);
}
