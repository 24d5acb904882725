using System.Text.RegularExpressions;
using ControlNet.Hosting.Plugins;
using ControlNet.Pipelines;
using ControlNet.Sampling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ControlNet.Hosting;

/// <summary>
/// Checks <see cref="ControlNetOptions"/> when the host starts: every failure names the bad value, what is expected and
/// the fix; a control naming a plug-in that is not loaded fails with that plug-in's id and the ids that are loaded.
/// Nothing is corrected silently.
/// </summary>
public sealed partial class ControlNetOptionsValidator(IServiceProvider services) : IValidateOptions<ControlNetOptions>
{
    static readonly string[] DTypes = ["fp32", "fp16", "bf16"];

    [GeneratedRegex("^(cpu|cuda(:[0-9]+)?)$")]
    private static partial Regex DevicePattern();

    public ValidateOptionsResult Validate(string? name, ControlNetOptions o)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.BaseModel))
            errors.Add("BaseModel is empty; set it to a checkpoint file, a diffusers folder or a Hugging Face id (e.g. runwayml/stable-diffusion-v1-5).");
        else if (o.BaseModel == DefaultModel.Path && !DefaultModel.IsInstalled)
            errors.Add(DefaultModel.MissingMessage);
        if (!DevicePattern().IsMatch(o.Device ?? ""))
            errors.Add($"Device is '{o.Device}'; expected cpu, cuda or cuda:N (all ControlNets run on the base model's device).");
        if (!DTypes.Contains(o.DType))
            errors.Add($"DType is '{o.DType}'; expected one of {string.Join(", ", DTypes)}.");
        if (!DTypes.Contains(o.WeightsDType))
            errors.Add($"WeightsDType is '{o.WeightsDType}'; expected one of {string.Join(", ", DTypes)}.");
        else if (o.WeightsDType != "fp32" && o.DType != "fp32")
            errors.Add($"WeightsDType {o.WeightsDType} stores weights for fp32 compute, but DType is {o.DType}; use DType fp32 with it, or DType {o.DType} alone.");
        if (o.Vae is { } vae && PipelineVae.Parse(vae) is { Error: { } vaeError })
            errors.Add(vaeError);
        if (o.Preview is { } preview && PipelineVae.Parse(preview, "Preview") is { Error: { } previewError })
            errors.Add(previewError);
        ValidateDefaults(o.Defaults, errors);
        foreach (var folder in o.PluginFolders.Where(f => !Directory.Exists(f)))
            errors.Add($"Plug-in folder '{folder}' does not exist; create it (one subfolder per plug-in) or remove AddPlugins(\"{folder}\").");

        foreach (var dup in o.Controls.GroupBy(c => c.Key, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            errors.Add($"Control key '{dup.Key}' is registered {dup.Count()} times; give each AddControl a distinct key.");

        var catalog = o.Controls.Count > 0 ? services.GetRequiredService<PluginCatalog>() : null;
        foreach (var c in o.Controls) ValidateControl(c, catalog!, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Size, steps, sampler and guidance checks shared with requests.</summary>
    public static void ValidateDefaults(GenerationSettings d, List<string> errors, string prefix = "Defaults.")
    {
        if (ImageSize.Problem(d.Width, ImageSize.HostMultiple) is { } width) errors.Add($"{prefix}Width {width}");
        if (ImageSize.Problem(d.Height, ImageSize.HostMultiple) is { } height) errors.Add($"{prefix}Height {height}");
        if (d.Steps < 1) errors.Add($"{prefix}Steps is {d.Steps}; expected at least 1 (20 is typical).");
        try { SamplerFactory.Canonical(d.Sampler); }
        catch (ArgumentException) { errors.Add($"{prefix}Sampler is '{d.Sampler}'; expected one of {string.Join(", ", SamplerFactory.Names)} or an A1111 name (\"Euler a\", \"DPM++ 2M Karras\", …)."); }
        if (d.GuidanceScale < 0 || double.IsNaN(d.GuidanceScale)) errors.Add($"{prefix}GuidanceScale is {d.GuidanceScale}; expected 0 or more (1 disables guidance, 9 is the ControlNet apps' default).");
        if (d.BatchSize < 1) errors.Add($"{prefix}BatchSize is {d.BatchSize}; expected at least 1.");
        if (d.DenoisingStrength is < 0 or > 1) errors.Add($"{prefix}DenoisingStrength is {d.DenoisingStrength}; expected 0–1.");
    }

    static void ValidateControl(ControlOptions c, PluginCatalog catalog, List<string> errors)
    {
        string who = $"Control '{c.Key}'";
        if (string.IsNullOrWhiteSpace(c.Key)) errors.Add("A control has an empty key; pass a key such as \"canny\" to AddControl.");
        if (string.IsNullOrWhiteSpace(c.Model))
            errors.Add($"{who} has no model; pass the ControlNet file, diffusers folder or Hugging Face id (e.g. lllyasviel/control_v11p_sd15_canny).");
        ValidateSchedule(who, c.Strength, c.Start, c.End, errors);

        var plugin = catalog.Plugins.FirstOrDefault(p => string.Equals(p.Plugin.Id, c.PluginId, StringComparison.OrdinalIgnoreCase))?.Plugin;
        if (plugin is null)
        {
            var known = catalog.Plugins.Select(p => p.Plugin.Id).ToArray();
            var msg = $"{who} names condition plug-in '{c.PluginId}', which is not loaded. Loaded plug-ins: {(known.Length == 0 ? "(none)" : string.Join(", ", known))}. " +
                      "Set ControlOptions.Plugin to one of them, or add the folder that holds it with AddPlugins(folder).";
            if (catalog.Failures.Count > 0) msg += " Plug-ins that failed to load: " + string.Join("; ", catalog.Failures.Select(f => f.Message));
            errors.Add(msg);
            return;
        }
        if (c.Preprocessor == ControlParameters.NoPreprocessor) return;
        var pre = plugin.FindPreprocessor(c.Preprocessor);
        if (pre is null) errors.Add(PreprocessorLookup.NotFound(plugin, c.Preprocessor, who));
        else ValidateOptionNames(who, pre, c.Options, errors);
    }

    static void ValidateOptionNames(string who, Abstractions.IPreprocessor pre, IReadOnlyDictionary<string, string> options, List<string> errors)
    {
        foreach (var key in options.Keys)
            if (!pre.Options.Any(o => string.Equals(o.Name, key, StringComparison.OrdinalIgnoreCase)))
                errors.Add($"{who}: preprocessor '{pre.Id}' has no option '{key}'. Valid options: {(pre.Options.Count == 0 ? "(none)" : string.Join(", ", pre.Options.Select(o => o.Name)))}.");
    }

    /// <summary>Strength ≥ 0 and 0 ≤ start &lt; end ≤ 1 (fractions of the schedule).</summary>
    public static void ValidateSchedule(string who, double strength, double start, double end, List<string> errors)
    {
        if (strength < 0 || double.IsNaN(strength)) errors.Add($"{who} has strength {strength}; expected 0 or more (1 is full strength).");
        if (start is < 0 or > 1 || end is < 0 or > 1 || start >= end)
            errors.Add($"{who} has start {start} and end {end}; expected fractions of the schedule with 0 ≤ start < end ≤ 1 (default 0 and 1).");
    }
}
