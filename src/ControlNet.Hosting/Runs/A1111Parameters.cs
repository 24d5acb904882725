using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ControlNet.Sampling;

namespace ControlNet.Hosting.Runs;

/// <summary>
/// The <c>parameters</c> PNG text of AUTOMATIC1111's web UI ("infotext"), written in its spelling and order and read
/// back: the prompt, <c>Negative prompt: …</c>, then one line of <c>Key: value</c> pairs — Steps, Sampler, Schedule type,
/// CFG scale, Seed, Size, Model hash (the first 10 hex digits of the model file's SHA-256, A1111's short hash), Model
/// (file name without extension), Denoising strength (img2img), LoRA hashes, then the ControlNet extension's units
/// (<c>ControlNet 0: "Module: canny, Model: …, Weight: 1, …"</c>).
/// </summary>
public static class A1111Parameters
{
    /// <summary>The infotext of <paramref name="run"/> (resolved) for the image that started from <paramref name="seed"/>.</summary>
    public static string Write(GenerationRun run, long seed)
    {
        ArgumentNullException.ThrowIfNull(run);
        var inv = CultureInfo.InvariantCulture;
        var (sampler, schedule) = SamplerFactory.ToA1111(run.Sampler);
        var pairs = new List<(string Key, string Value)>
        {
            ("Steps", run.Steps.ToString(inv)),
            ("Sampler", sampler),
            ("Schedule type", schedule),
            ("CFG scale", Number(run.Cfg ?? 9)),
            ("Seed", seed.ToString(inv)),
            ("Size", $"{run.Width}x{run.Height}"),
        };
        if (run.Model is { } model && File.Exists(model)) pairs.Add(("Model hash", ShortHash(model)));
        pairs.Add(("Model", run.Model is null ? "toy" : Path.GetFileNameWithoutExtension(run.Model.TrimEnd('/', '\\'))));
        if (run.InitImage is not null) pairs.Add(("Denoising strength", Number(run.Strength)));
        for (int i = 0; i < run.Controls.Count; i++)
        {
            var c = run.Controls[i];
            var unit = string.Join(", ",
                $"Module: {c.Pre ?? c.Type}",
                $"Model: {(c.Model is null ? c.Type : Path.GetFileNameWithoutExtension(c.Model.TrimEnd('/')))}",
                $"Weight: {Number(c.Strength)}",
                $"Resize Mode: {ResizeName(c.Resize)}",
                $"Guidance Start: {Number(c.Start)}",
                $"Guidance End: {Number(c.End)}",
                $"Control Mode: {ModeName(c.Mode)}");
            pairs.Add(($"ControlNet {i}", Quote(unit)));
        }
        var text = new StringBuilder(run.Prompt);
        if (run.Negative.Length > 0) text.Append("\nNegative prompt: ").Append(run.Negative);
        text.Append('\n').Append(string.Join(", ", pairs.Select(p => $"{p.Key}: {p.Value}")));
        return text.ToString();
    }

    /// <summary>
    /// Reads an A1111 infotext into a run: prompt, negative prompt, steps, sampler (with its schedule type), CFG scale,
    /// seed, size, denoising strength. The model and the ControlNet units' images are not in the text: pass them again.
    /// </summary>
    public static GenerationRun Read(string text, GenerationRun? baseRun = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        int last = lines.FindLastIndex(l => l.StartsWith("Steps: ", StringComparison.Ordinal));
        if (last < 0)
            throw new ArgumentException("The 'parameters' text has no line starting with 'Steps: ', so it is not A1111's format.");
        var values = Pairs(string.Join("\n", lines.Skip(last)));
        var head = lines.Take(last).ToList();
        int negative = head.FindIndex(l => l.StartsWith("Negative prompt: ", StringComparison.Ordinal));
        string prompt = string.Join("\n", negative < 0 ? head : head.Take(negative));
        string negativePrompt = negative < 0 ? "" : string.Join("\n", head.Skip(negative)).Substring("Negative prompt: ".Length);

        var run = (baseRun ?? new GenerationRun()) with { Prompt = prompt, Negative = negativePrompt };
        var inv = CultureInfo.InvariantCulture;
        if (values.TryGetValue("Steps", out var steps)) run = run with { Steps = int.Parse(steps, inv) };
        if (values.TryGetValue("Sampler", out var sampler))
            run = run with { Sampler = SamplerFactory.Canonical(sampler, values.GetValueOrDefault("Schedule type")) };
        if (values.TryGetValue("CFG scale", out var cfg)) run = run with { Cfg = double.Parse(cfg, inv) };
        if (values.TryGetValue("Seed", out var seed)) run = run with { Seed = long.Parse(seed, inv) };
        if (values.TryGetValue("Size", out var size) && size.Split('x') is [var w, var h])
            run = run with { Width = int.Parse(w, inv), Height = int.Parse(h, inv) };
        if (values.TryGetValue("Denoising strength", out var strength)) run = run with { Strength = double.Parse(strength, inv) };
        return run;
    }

    static readonly System.Collections.Concurrent.ConcurrentDictionary<(string, long, DateTime), string> Hashes = new();

    /// <summary>
    /// A1111's short model hash: the first 10 hex digits (lower case) of the file's SHA-256. Hashing a 4 GB file takes
    /// seconds, so the result is kept for the process (by path, size and modification time).
    /// </summary>
    public static string ShortHash(string path)
    {
        var info = new FileInfo(path);
        return Hashes.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc), _ =>
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream))[..10];
        });
    }

    /// <summary>The "Key: value" pairs of an infotext line; values may be quoted ("…" with \" escapes) and hold commas.</summary>
    public static Dictionary<string, string> Pairs(string line)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && (line[i] == ' ' || line[i] == ',' || line[i] == '\n')) i++;
            int colon = line.IndexOf(": ", i, StringComparison.Ordinal);
            if (colon < 0) break;
            var key = line[i..colon];
            i = colon + 2;
            string value;
            if (i < line.Length && line[i] == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length) i++;
                    sb.Append(line[i++]);
                }
                i++;
                value = sb.ToString();
            }
            else
            {
                int comma = line.IndexOf(", ", i, StringComparison.Ordinal);
                int end = comma < 0 ? line.Length : comma;
                value = line[i..end];
                i = end;
            }
            result[key] = value;
        }
        return result;
    }

    static string Number(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    static string ResizeName(string resize) => resize switch
    {
        "just-resize" => "Just Resize",
        "resize-and-fill" => "Resize and Fill",
        _ => "Crop and Resize",
    };

    static string ModeName(string mode) => mode switch
    {
        "prompt" => "My prompt is more important",
        "control" => "ControlNet is more important",
        _ => "Balanced",
    };
}
