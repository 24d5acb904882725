using ControlNet.Abstractions;
using ControlNet.Hosting.Generation;
using ControlNet.Hosting.Plugins;
using ControlNet.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ControlNet.Hosting;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers the ControlNet host: options (validated on start), the plug-in catalog, the pipeline (a singleton: weights
    /// load once, on first use, and every request shares them) and <see cref="IGenerationService"/>. Core services are
    /// added with TryAdd, so a registration made earlier (a custom <see cref="IControlNetPipelineFactory"/>, a prepared
    /// <see cref="PluginCatalog"/>) wins.
    /// </summary>
    public static IControlNetBuilder AddControlNet(this IServiceCollection services, Action<ControlNetOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        // A host usually registers before its first tensor: the OpenMP defaults must be in the environment by then.
        Runtime.ThreadingDefaults.Apply();
        var options = services.AddOptions<ControlNetOptions>();
        if (configure is not null) options.Configure(configure);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ControlNetOptions>, ControlNetOptionsValidator>());

        // The validator needs the catalog to check plug-in ids, so the catalog reads the options unvalidated.
        services.TryAddSingleton(sp => CreateCatalog(UnvalidatedOptions(sp), sp.GetServices<IConditionPlugin>()));
        services.TryAddSingleton<IControlNetPipelineFactory, ControlNetPipelineFactory>();
        services.TryAddSingleton(sp => sp.GetRequiredService<IControlNetPipelineFactory>()
            .Create(sp.GetRequiredService<IOptions<ControlNetOptions>>().Value
                .ToPipelineOptions(sp.GetRequiredService<PluginCatalog>().Plugins.Select(p => p.Plugin))));
        services.TryAddSingleton<IGenerationService, GenerationService>();
        return new ControlNetBuilder(services);
    }

    /// <summary>
    /// Runs the options validation now, for hosts without a generic host to do it on start (console tools):
    /// throws <see cref="OptionsValidationException"/> whose messages name each bad value and its fix.
    /// </summary>
    public static IServiceProvider ValidateControlNet(this IServiceProvider services)
    {
        _ = services.GetRequiredService<IOptions<ControlNetOptions>>().Value;
        return services;
    }

    // What OptionsFactory builds, minus validation (which would ask for the catalog being built).
    static ControlNetOptions UnvalidatedOptions(IServiceProvider sp)
    {
        var options = new ControlNetOptions();
        foreach (var setup in sp.GetServices<IConfigureOptions<ControlNetOptions>>())
            if (setup is IConfigureNamedOptions<ControlNetOptions> named) named.Configure(Options.DefaultName, options);
            else setup.Configure(options);
        foreach (var post in sp.GetServices<IPostConfigureOptions<ControlNetOptions>>()) post.PostConfigure(Options.DefaultName, options);
        return options;
    }

    // Plug-ins registered as services first (AddPlugin), then the folders: the catalog reports an id found twice.
    // A missing folder is skipped here; the validator reports an explicit one (AddPlugins) with its fix.
    static PluginCatalog CreateCatalog(ControlNetOptions options, IEnumerable<IConditionPlugin> registered)
    {
        var catalog = new PluginCatalog();
        foreach (var plugin in registered) catalog.Add(plugin, "registered service");
        var folders = options.UseDefaultPluginFolders ? new[] { PluginCatalog.BuiltInFolder, ControlNetHome.Plugins } : [];
        foreach (var folder in folders.Concat(options.PluginFolders).Where(Directory.Exists).Distinct(StringComparer.Ordinal))
            catalog.AddFolder(folder);
        return catalog;
    }
}
