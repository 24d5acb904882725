using ControlNet.Abstractions;
using Microsoft.Extensions.DependencyInjection;

namespace ControlNet.Hosting;

public static class ControlNetBuilderExtensions
{
    /// <summary>
    /// Registers a ControlNet under <paramref name="key"/>: <paramref name="model"/> is its weights (file, diffusers folder
    /// or Hugging Face id). The condition plug-in defaults to the key (<c>AddControl("canny", …)</c> uses the canny
    /// plug-in); set <see cref="ControlOptions.Plugin"/> otherwise. Any number may be added; all load into one pipeline.
    /// <paramref name="configure"/> returns the registration with its settings, e.g. <c>c =&gt; c with { Strength = 0.8 }</c>.
    /// </summary>
    public static IControlNetBuilder AddControl(this IControlNetBuilder builder, string key, string model, Func<ControlOptions, ControlOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<ControlNetOptions>(o =>
        {
            var control = new ControlOptions { Key = key, Model = model };
            control = configure?.Invoke(control) ?? control;
            o.Controls.Add(control with { Key = key });   // the key is the registration's identity; configure cannot rename it
        });
        return builder;
    }

    /// <summary>Scans <paramref name="folder"/> (one subfolder per plug-in; relative to the working folder) for condition plug-ins.</summary>
    public static IControlNetBuilder AddPlugins(this IControlNetBuilder builder, string folder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var full = Path.GetFullPath(folder);
        builder.Services.Configure<ControlNetOptions>(o => o.PluginFolders.Add(full));
        return builder;
    }

    /// <summary>Registers a plug-in instance (one compiled into the application rather than loaded from a folder).</summary>
    public static IControlNetBuilder AddPlugin(this IControlNetBuilder builder, IConditionPlugin plugin)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(plugin);
        return builder;
    }

    /// <summary>Changes the request defaults (size, steps, sampler, guidance scale, …).</summary>
    public static IControlNetBuilder WithDefaults(this IControlNetBuilder builder, Func<Pipelines.GenerationSettings, Pipelines.GenerationSettings> change)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<ControlNetOptions>(o => o.Defaults = change(o.Defaults));
        return builder;
    }
}
