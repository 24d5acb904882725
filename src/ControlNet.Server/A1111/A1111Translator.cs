using System.Globalization;
using System.Text.Json;
using ControlNet.Abstractions;
using ControlNet.Hosting.Plugins;
using ControlNet.Hosting.Runs;
using ControlNet.Pipelines;
using ControlNet.Sampling;
using ControlNet.Server.Api;
using ControlNet.Server.Jobs;

namespace ControlNet.Server.A1111;

/// <summary>
/// Turns an A1111 request with sd-webui-controlnet units into a <see cref="JobSpec"/>. Errors name the A1111 field
/// (e.g. <c>alwayson_scripts.controlnet.args[0].module</c>).
/// </summary>
public sealed class A1111Translator(PluginCatalog catalog, ModelRegistry models)
{
    /// <summary>Parses the body; the wrong type in any field is a 422 naming it.</summary>
    public static A1111Request Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new RequestValidationException("body", "must be a JSON object.");
        try { return body.Deserialize<A1111Request>(A1111Request.Json)!; }
        catch (JsonException e) { throw new RequestValidationException(FieldOf(e.Path), "has the wrong type: " + FirstSentence(e.Message)); }
    }

    static string FieldOf(string? path) => string.IsNullOrEmpty(path) || path == "$" ? "body" : path.TrimStart('$', '.');

    static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }

    /// <summary>The job, and the A1111 name of each field the job's validation may name (e.g. cfg → cfg_scale).</summary>
    public (JobSpec Spec, Func<string, string> FieldName) ToJob(A1111Request r, bool img2img)
    {
        string? sampler = null;
        if ((r.SamplerName ?? r.SamplerIndex) is { Length: > 0 } name)
        {
            // The one table of sampler names (ours and A1111's) is the library's.
            try { sampler = SamplerFactory.Canonical(name); }
            catch (ArgumentException)
            {
                throw new RequestValidationException(r.SamplerName is null ? "sampler_index" : "sampler_name",
                    $"'{name}' is not available. Samplers: {string.Join(", ", SamplerFactory.All.Select(s => s.A1111Name ?? s.Name))}.");
            }
            try { sampler = SamplerFactory.Canonical(name, r.Scheduler); }
            catch (ArgumentException e) { throw new RequestValidationException("scheduler", e.Message); }
        }
        string? init = null;
        if (img2img)
        {
            if (r.InitImages is not { Count: > 0 }) throw new RequestValidationException("init_images", "is empty; img2img needs one base64 image.");
            init = r.InitImages[0];
        }
        else if (r.InitImages is { Count: > 0 } || r.Mask is not null)
            throw new RequestValidationException(r.Mask is null ? "init_images" : "mask", "belongs to /sdapi/v1/img2img; txt2img starts from noise.");
        var spec = new JobSpec
        {
            Prompt = r.Prompt ?? "",
            Negative = r.NegativePrompt ?? "",
            Width = r.Width,
            Height = r.Height,
            Steps = r.Steps,
            Sampler = sampler,
            Cfg = r.CfgScale,
            Seed = r.Seed ?? -1,
            Batch = r.BatchSize ?? 1,
            Iterations = r.NIter ?? 1,
            Eta = r.Eta,
            InitImage = init,
            Strength = img2img ? r.DenoisingStrength ?? 0.75 : null,
            Mask = img2img ? r.Mask : null,
        };
        var (controls, units) = Units(r, init);
        return (spec with { Controls = controls }, field => FieldName(field, units));
    }

    static readonly Dictionary<string, string> TopFields = new()
    {
        ["sampler"] = "sampler_name", ["cfg"] = "cfg_scale", ["batch"] = "batch_size", ["iterations"] = "n_iter",
        ["strength"] = "denoising_strength", ["initImage"] = "init_images[0]", ["negative"] = "negative_prompt", ["request"] = "body",
    };

    static readonly Dictionary<string, string> UnitFields = new()
    {
        ["preprocessor"] = "module", ["options"] = "module", ["strength"] = "weight", ["start"] = "guidance_start", ["end"] = "guidance_end", ["mode"] = "control_mode",
    };

    // controls[i].x → alwayson_scripts.controlnet.args[k].y, where k counts the disabled units too.
    static string FieldName(string field, IReadOnlyList<string> units)
    {
        if (!field.StartsWith("controls[", StringComparison.Ordinal)) return TopFields.GetValueOrDefault(field, field);
        int close = field.IndexOf(']');
        int i = int.Parse(field.AsSpan(9, close - 9), CultureInfo.InvariantCulture);
        var rest = field[(close + 2)..];
        return $"{units[i]}.{UnitFields.GetValueOrDefault(rest, rest)}";
    }

    (IReadOnlyList<JobControl>, IReadOnlyList<string>) Units(A1111Request r, string? init)
    {
        if (r.AlwaysonScripts is null) return ([], []);
        var entry = r.AlwaysonScripts.FirstOrDefault(kv => string.Equals(kv.Key, "controlnet", StringComparison.OrdinalIgnoreCase));
        if (entry.Key is null) return ([], []);
        string at = $"alwayson_scripts.{entry.Key}";
        if (entry.Value.ValueKind != JsonValueKind.Object || !entry.Value.TryGetProperty("args", out var args))
            return entry.Value.ValueKind == JsonValueKind.Object ? ([], []) : throw new RequestValidationException(at, "must be an object with \"args\": [units].");
        if (args.ValueKind != JsonValueKind.Array) throw new RequestValidationException($"{at}.args", "must be a list of ControlNet units.");
        var controls = new List<JobControl>();
        var fields = new List<string>();
        int i = 0;
        foreach (var unit in args.EnumerateArray())
        {
            var u = new UnitReader(unit, $"{at}.args[{i++}]");
            if (unit.ValueKind != JsonValueKind.Object) throw new RequestValidationException(u.Field("")[..^1], "must be a ControlNet unit object.");
            if (!u.Bool("enabled", true)) continue;
            controls.Add(Unit(u, init));
            fields.Add(u.Field("")[..^1]);
        }
        return (controls, fields);
    }

    JobControl Unit(UnitReader u, string? init)
    {
        var (module, error) = A1111Modules.Find(u.String("module"), catalog);
        if (module is null) throw new RequestValidationException(u.Field("module"), error!);
        var modelName = u.String("model");
        if (string.IsNullOrWhiteSpace(modelName) || modelName.Equals("None", StringComparison.OrdinalIgnoreCase))
            throw new RequestValidationException(u.Field("model"), $"is empty; name a ControlNet model. {models.NotFound(modelName)}");
        if (models.Find(modelName) is null) throw new RequestValidationException(u.Field("model"), models.NotFound(modelName));

        // The unit's image: a string, {"image": …, "mask": …}, or (img2img) the init image, as the extension does.
        string? image = null, mask = u.String("mask") ?? u.String("mask_image");
        string imageField = u.Field("image");
        var img = u.Element("image") ?? u.Element("input_image");
        if (img is { ValueKind: JsonValueKind.String } s) image = s.GetString();
        else if (img is { ValueKind: JsonValueKind.Object } o)
        {
            image = o.TryGetProperty("image", out var inner) && inner.ValueKind == JsonValueKind.String ? inner.GetString() : null;
            if (o.TryGetProperty("mask", out var m) && m.ValueKind == JsonValueKind.String) mask = m.GetString();
            imageField += ".image";
        }
        else if (img is { ValueKind: not JsonValueKind.Null }) throw new RequestValidationException(imageField, "must be a base64 image or {\"image\": base64, \"mask\": base64}.");
        if (string.IsNullOrEmpty(image)) image = init;
        if (string.IsNullOrEmpty(image)) throw new RequestValidationException(imageField, "is missing; send the unit's input image as base64.");

        var resize = u.Has("resize_mode") ? A1111Labels.Resize(u.Text("resize_mode")) ?? throw new RequestValidationException(u.Field("resize_mode"),
            $"is '{u.Text("resize_mode")}'; expected 0, 1, 2 or {string.Join(", ", A1111Labels.ResizeNames.Select(n => $"\"{n}\""))}.") : ResizeMode.CropAndResize;
        var mode = u.Has("control_mode") ? A1111Labels.Mode(u.Text("control_mode")) ?? throw new RequestValidationException(u.Field("control_mode"),
            $"is '{u.Text("control_mode")}'; expected 0, 1, 2 or {string.Join(", ", A1111Labels.ModeNames.Select(n => $"\"{n}\""))}.") : ControlMode.Balanced;
        if (u.Bool("guessmode", false)) mode = ControlMode.ControlNetIsMoreImportant;   // the extension's pre-1.1 name for it

        var options = ModuleOptions(module, u.Number("processor_res", -1), u.Number("threshold_a", -1), u.Number("threshold_b", -1));
        return new JobControl
        {
            Model = modelName,
            Preprocessor = module.Preprocessor ?? Pipelines.ControlParameters.NoPreprocessor,
            Image = image,
            Mask = mask,
            Options = options,
            Strength = u.Number("weight", 1.0),
            Start = u.Number("guidance_start", 0.0),
            End = u.Number("guidance_end", 1.0),
            Mode = mode,
            Resize = resize,
            PixelPerfect = u.Bool("pixel_perfect", false),   // the job applies the library's rule at the size it generates at
            ReturnMap = u.Bool("save_detected_map", true),
        };
    }

    /// <summary>
    /// The preprocessor options the unit's sliders set: processor_res, threshold_a and threshold_b as the module maps them.
    /// -1 (the extension's "default") and options the preprocessor lacks leave the preprocessor's default.
    /// </summary>
    public Dictionary<string, string> ModuleOptions(A1111Modules.Module module, double processorRes, double thresholdA, double thresholdB)
    {
        var options = new Dictionary<string, string>();
        if (module.Preprocessor is null) return options;
        var descriptors = catalog.FindPreprocessor(module.Preprocessor).Preprocessor.Options;
        foreach (var (name, value) in new[] { (A1111Modules.ResolutionOption, processorRes), (module.ThresholdA, thresholdA), (module.ThresholdB, thresholdB) })
        {
            if (name is null || value < 0 || descriptors.FirstOrDefault(o => o.Name == name) is not { } d) continue;
            options[name] = d.Type == "int" ? ((long)Math.Round(value)).ToString(CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);
        }
        return options;
    }

    /// <summary>Reads one unit's loosely typed fields (the extension accepts numbers, strings and nulls), naming the field on a type error.</summary>
    readonly struct UnitReader(JsonElement unit, string at)
    {
        public string Field(string name) => $"{at}.{name}";

        public JsonElement? Element(string name) =>
            unit.ValueKind == JsonValueKind.Object && unit.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        public bool Has(string name) => Element(name) is not null;

        public string? String(string name) => Element(name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } v => v.GetString(),
            _ => throw new RequestValidationException(Field(name), "must be a string."),
        };

        public string Text(string name) => Element(name) is { } v ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText() : "";

        public double Number(string name, double fallback) => Element(name) switch
        {
            null => fallback,
            { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
            { ValueKind: JsonValueKind.String } v when double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => throw new RequestValidationException(Field(name), "must be a number."),
        };

        public bool Bool(string name, bool fallback) => Element(name) switch
        {
            null => fallback,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => throw new RequestValidationException(Field(name), "must be true or false."),
        };
    }
}
