using ControlNet.Hosting;
using ControlNet.Server.A1111;
using ControlNet.Server.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace ControlNet.Server;

/// <summary>
/// The services a server or a worker needs: the ControlNet host (<c>AddControlNet</c>) with the base model and every
/// registered ControlNet, the model registry and the job runner. The queue is added by the caller.
/// </summary>
public static class ServerServices
{
    public static IServiceCollection AddControlNetServerCore(this IServiceCollection services, ServerOptions options)
    {
        var models = ModelRegistry.Create(options);
        services.AddSingleton(options);
        services.AddSingleton(models);
        var (size, cfg) = DefaultModel.FolderDefaults(models.BaseModel);
        var builder = services.AddControlNet(o =>
        {
            o.BaseModel = models.BaseModel;
            o.Tokenizer = options.Tokenizer;
            o.ClipVision = options.ClipVision;
            o.Device = options.Device;
            o.DType = options.DType;
            o.Preview = options.Preview;
            // The model folder's size and guidance scale (the toy model is trained at 32 px), else the SDK's.
            o.Defaults = o.Defaults with { Width = size ?? o.Defaults.Width, Height = size ?? o.Defaults.Height, GuidanceScale = cfg ?? o.Defaults.GuidanceScale };
            foreach (var folder in options.PluginFolders) o.PluginFolders.Add(folder);
            o.AnnotatorPath = options.AnnotatorPath;
            o.DownloadAnnotators = options.DownloadAnnotators;
        });
        // Requests send condition maps the server made itself (the A1111 unit's module may be another type's preprocessor).
        foreach (var c in models.ControlNets)
            builder.AddControl(c.Name, c.Model, o => o with { Plugin = c.Type, Preprocessor = ControlOptions.NoPreprocessor });
        services.AddSingleton<JobRunner>();
        services.AddSingleton<A1111Translator>();
        return services;
    }
}
