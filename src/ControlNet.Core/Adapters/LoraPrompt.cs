using System.Globalization;
using System.Text.RegularExpressions;

namespace ControlNet.Adapters;

/// <summary>A LoRA to merge for one generation: a file path, or a name found in the LoRA folders, with its weight.</summary>
public sealed record LoraReference(string PathOrName, double Weight = 1.0)
{
    /// <summary>Parses <c>FILE[:weight]</c> (the CLI's --lora); a Windows drive letter is not taken for a weight.</summary>
    public static LoraReference Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        int colon = text.LastIndexOf(':');
        if (colon > 1 && double.TryParse(text[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
            return new LoraReference(text[..colon], weight);
        return new LoraReference(text);
    }

    /// <summary>
    /// The file: <see cref="PathOrName"/> when it exists, else NAME.safetensors / .pt / .ckpt / .bin in
    /// <paramref name="folders"/> (A1111's <c>models/Lora</c> convention).
    /// </summary>
    public string Resolve(IEnumerable<string> folders)
    {
        if (File.Exists(PathOrName)) return PathOrName;
        var searched = folders.ToList();
        foreach (var folder in searched)
            foreach (var ext in new[] { ".safetensors", ".pt", ".ckpt", ".bin" })
            {
                var candidate = Path.Combine(folder, PathOrName + ext);
                if (File.Exists(candidate)) return candidate;
            }
        throw new FileNotFoundException(searched.Count == 0
            ? $"LoRA '{PathOrName}' is not a file and no LoRA folder is set; pass a path or a folder (--lora-dir)."
            : $"LoRA '{PathOrName}' is not a file nor NAME.safetensors/.pt in {string.Join(", ", searched)}; check the name or pass --lora-dir.");
    }
}

/// <summary>
/// A1111's extra-network syntax in prompts: <c>&lt;lora:NAME:WEIGHT&gt;</c> (weight optional, default 1) is taken out of
/// the prompt text and returned as a <see cref="LoraReference"/>.
/// </summary>
public static partial class LoraPrompt
{
    public static (string Prompt, IReadOnlyList<LoraReference> Loras) Extract(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var loras = new List<LoraReference>();
        var cleaned = Tag().Replace(prompt, m =>
        {
            double weight = 1.0;
            if (m.Groups["weight"].Success && !double.TryParse(m.Groups["weight"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out weight))
                throw new ArgumentException($"'{m.Value}' has weight '{m.Groups["weight"].Value}', not a number; write e.g. <lora:{m.Groups["name"].Value}:0.8>.");
            loras.Add(new LoraReference(m.Groups["name"].Value.Trim(), weight));
            return "";
        });
        return (loras.Count == 0 ? prompt : Spaces().Replace(cleaned, " ").Trim().Trim(',').Trim(), loras);
    }

    [GeneratedRegex(@"<lora:(?<name>[^:>]+)(?::(?<weight>[^:>]*))?(?::[^>]*)?>", RegexOptions.IgnoreCase)]
    private static partial Regex Tag();

    [GeneratedRegex(@"[ \t]{2,}")]
    private static partial Regex Spaces();
}
