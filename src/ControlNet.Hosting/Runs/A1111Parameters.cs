using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ControlNet.Hosting.Plugins;
using ControlNet.Pipelines;
using ControlNet.Sampling;

namespace ControlNet.Hosting.Runs;

/// <summary>
/// The <c>parameters</c> PNG text of AUTOMATIC1111's web UI ("infotext"), written in its spelling and order and read
/// back: the prompt, <c>Negative prompt: …</c>, then one line of <c>Key: value</c> pairs — Steps, Sampler, Schedule type,
/// CFG scale, Seed, Size, Model hash (the first 10 hex digits of the model file's SHA-256, A1111's short hash), Model
/// (file name without extension), Denoising strength (img2img), LoRA hashes, then the ControlNet extension's units
/// (<c>ControlNet 0: "Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 1, …"</c>; module names from
/// <see cref="A1111Modules"/>, the model as the extension titles it, <c>name [legacy hash]</c>).
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
            pairs.Add(($"ControlNet {i}", Quote(Unit(run.Controls[i]))));
        var text = new StringBuilder(run.Prompt);
        if (run.Negative.Length > 0) text.Append("\nNegative prompt: ").Append(run.Negative);
        text.Append('\n').Append(string.Join(", ", pairs.Select(p => $"{p.Key}: {p.Value}")));
        return text.ToString();
    }

    // One unit in the extension's spelling and order; the sliders only when the run sets them.
    static string Unit(RunControl c)
    {
        var module = c.Preprocessor is null ? c.Type : A1111Modules.ForPreprocessor(c.Preprocessor)?.Name ?? c.Preprocessor;
        var parts = new List<string>
        {
            $"Module: {module}",
            $"Model: {ModelTitle(c.Model) ?? c.Type}",
            $"Weight: {Number(c.Strength)}",
            $"Resize Mode: {A1111Labels.ResizeLabel(c.Resize)}",
        };
        var row = c.Preprocessor is null ? null : A1111Modules.ForPreprocessor(c.Preprocessor);
        if (c.Options.TryGetValue(A1111Modules.ResolutionOption, out var res)) parts.Add($"Processor Res: {res}");
        if (row?.ThresholdA is { } a && c.Options.TryGetValue(a, out var ta)) parts.Add($"Threshold A: {ta}");
        if (row?.ThresholdB is { } b && c.Options.TryGetValue(b, out var tb)) parts.Add($"Threshold B: {tb}");
        parts.Add($"Guidance Start: {Number(c.Start)}");
        parts.Add($"Guidance End: {Number(c.End)}");
        parts.Add($"Control Mode: {A1111Labels.ModeLabel(c.Mode)}");
        return string.Join(", ", parts);
    }

    /// <summary>A ControlNet as the extension titles it: file name without extension, then " [hash]" for a local file (<see cref="LegacyHash"/>).</summary>
    public static string? ModelTitle(string? model)
    {
        if (model is null) return null;
        var trimmed = model.TrimEnd('/', '\\');
        if (!File.Exists(trimmed)) return Path.GetFileName(trimmed);
        var hash = LegacyHash(trimmed);
        return $"{Path.GetFileNameWithoutExtension(trimmed)} [{hash}]";
    }

    /// <summary>
    /// Reads an A1111 infotext into a run: prompt, negative prompt, steps, sampler (with its schedule type), CFG scale,
    /// seed, size, denoising strength, and with <paramref name="catalog"/> the ControlNet extension's units (module,
    /// weight, resize mode, processor resolution and thresholds, start/end, control mode). The text holds neither the
    /// base model's path nor the units' images or ControlNet files: each unit reads back with an empty
    /// <see cref="RunControl.Image"/> (give it again) and the default ControlNet of its condition type.
    /// </summary>
    public static GenerationRun Read(string text, GenerationRun? baseRun = null, PluginCatalog? catalog = null)
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
        var units = values.Where(kv => kv.Key.StartsWith("ControlNet ", StringComparison.Ordinal) && int.TryParse(kv.Key["ControlNet ".Length..], NumberStyles.None, inv, out _))
            .OrderBy(kv => int.Parse(kv.Key["ControlNet ".Length..], inv)).ToArray();
        if (units.Length > 0)
        {
            if (catalog is null) throw new ArgumentException("The infotext has ControlNet units; reading them needs the plug-in catalog (pass it).");
            run = run with { Controls = units.Select(u => ReadUnit(u.Key, u.Value, catalog)).ToArray() };
        }
        return run;
    }

    // "Module: canny, Model: control_v11p_sd15_canny [d14c016b], Weight: 0.8, …" → a control without its image.
    static RunControl ReadUnit(string key, string text, PluginCatalog catalog)
    {
        var v = Pairs(text);
        var inv = CultureInfo.InvariantCulture;
        string moduleName = v.GetValueOrDefault("Module", "none");
        var (module, error) = A1111Modules.Find(moduleName, catalog);
        if (module is null) throw new ArgumentException($"{key} of the infotext: {error} Pass the unit with --control instead.");
        string model = v.GetValueOrDefault("Model", "None");
        // The condition type: the plug-in of the module's preprocessor, else (module none) the plug-in named in the model's file name.
        string? type = module.Preprocessor is { } pre ? catalog.FindPreprocessor(pre).Plugin.Id
            : catalog.Plugins.Select(p => p.Plugin.Id).Where(id => model.Contains(id, StringComparison.OrdinalIgnoreCase)).OrderByDescending(id => id.Length).FirstOrDefault();
        if (type is null)
            throw new ArgumentException($"{key} of the infotext: module 'none' with model '{model}' names no condition plug-in ({string.Join(", ", catalog.Plugins.Select(p => p.Plugin.Id))}). Pass the unit with --control TYPE:IMAGE instead.");
        var options = new Dictionary<string, string>();
        if (module.Preprocessor is not null)
        {
            var known = catalog.FindPreprocessor(module.Preprocessor).Preprocessor.Options;
            foreach (var (label, option) in new[] { ("Processor Res", A1111Modules.ResolutionOption), ("Threshold A", module.ThresholdA), ("Threshold B", module.ThresholdB) })
                if (option is not null && known.Any(o => o.Name == option) && v.TryGetValue(label, out var value) && double.TryParse(value, NumberStyles.Float, inv, out var d) && d >= 0)
                    options[option] = value;
        }
        double Num(string name, double fallback) => v.TryGetValue(name, out var s) ? double.Parse(s, inv) : fallback;
        return new RunControl
        {
            Type = type,
            Image = "",
            Preprocessor = module.Preprocessor ?? ControlParameters.NoPreprocessor,
            Options = options,
            Strength = Num("Weight", 1),
            Start = Num("Guidance Start", 0),
            End = Num("Guidance End", 1),
            Mode = A1111Labels.Mode(v.GetValueOrDefault("Control Mode", "Balanced"))
                ?? throw new ArgumentException($"{key} of the infotext: Control Mode '{v["Control Mode"]}' is unknown; expected {string.Join(", ", A1111Labels.ModeNames)}."),
            Resize = A1111Labels.Resize(v.GetValueOrDefault("Resize Mode", "Crop and Resize"))
                ?? throw new ArgumentException($"{key} of the infotext: Resize Mode '{v["Resize Mode"]}' is unknown; expected {string.Join(", ", A1111Labels.ResizeNames)}."),
        };
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

    /// <summary>
    /// A1111's old model hash, which the ControlNet extension shows in its model titles ("name [d14c016b]"): the first 8
    /// hex digits of the SHA-256 of 64 KiB at offset 1 MiB. Cheap on multi-gigabyte files.
    /// </summary>
    public static string LegacyHash(string path)
    {
        using var file = File.OpenRead(path);
        var buffer = new byte[0x10000];
        int read = 0;
        if (file.Length > 0x100000)
        {
            file.Seek(0x100000, SeekOrigin.Begin);
            read = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, read)))[..8];
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
}
