using ControlNet.Conditions.Canny;
using ControlNet.Conditions.Scribble;
using ControlNet.Hosting;
using ControlNet.Hosting.Generation;
using ControlNet.Hosting.Plugins;
using ControlNet.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ControlNet.Tests.Hosting;

public class ServiceRegistrationTests
{
    /// <summary>A host with the fake pipeline and the canny and scribble plug-ins registered as instances (no folders).</summary>
    internal static (ServiceCollection Services, IControlNetBuilder Builder, FakePipelineFactory Factory) Host(Action<ControlNetOptions>? configure = null)
    {
        var services = new ServiceCollection();
        var factory = new FakePipelineFactory();
        services.AddSingleton<IControlNetPipelineFactory>(factory);   // before AddControlNet: its TryAdd keeps ours
        var builder = services.AddControlNet(o =>
        {
            o.BaseModel = "test/base-model";
            o.UseDefaultPluginFolders = false;
            configure?.Invoke(o);
        }).AddPlugin(new CannyPlugin()).AddPlugin(new ScribblePlugin());
        return (services, builder, factory);
    }

    [Fact]
    public void Two_controlnets_give_one_pipeline_holding_both()
    {
        var (services, builder, factory) = Host();
        builder.AddControl("canny", "control_v11p_sd15_canny").AddScribble(model: "lllyasviel/control_v11p_sd15_scribble");
        using var provider = services.BuildServiceProvider();
        provider.ValidateControlNet();

        var first = provider.GetRequiredService<IControlNetPipeline>();
        var second = provider.GetRequiredService<IGenerationService>();   // resolving the service reuses the same pipeline
        Assert.Same(first, provider.GetRequiredService<IControlNetPipeline>());
        Assert.NotNull(second);
        var loaded = Assert.Single(factory.Created);                      // weights loaded once
        Assert.Same(first, loaded);
        Assert.Equal(["canny", "scribble"], first.ControlNets.Order());
        Assert.Equal("control_v11p_sd15_canny", loaded.Options.ControlNets["canny"]);
        Assert.Equal("lllyasviel/control_v11p_sd15_scribble", loaded.Options.ControlNets["scribble"]);
        Assert.Equal("test/base-model", loaded.Options.BaseModel);
        Assert.Equal("cpu", loaded.Options.Device);                       // one device for all
    }

    [Fact]
    public void Pipeline_is_disposed_with_the_host_and_custom_factory_is_kept()
    {
        var (services, builder, factory) = Host();
        builder.AddControl("canny", "m");
        var provider = services.BuildServiceProvider();
        Assert.Same(factory, provider.GetRequiredService<IControlNetPipelineFactory>());
        var pipeline = (FakePipeline)provider.GetRequiredService<IControlNetPipeline>();
        provider.Dispose();
        Assert.True(pipeline.Disposed);
    }

    [Fact]
    public void A_control_naming_an_unknown_plugin_fails_validation_with_its_name()
    {
        var (services, builder, factory) = Host();
        builder.AddControl("edges", "some-controlnet", o => o with { Plugin = "sobel" });
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.ValidateControlNet());
        var message = Assert.Single(e.Failures);
        Assert.Contains("'sobel'", message);
        Assert.Contains("'edges'", message);
        Assert.Contains("canny, scribble", message);   // what is loaded, so the fix is obvious
        Assert.Empty(factory.Created);                   // validation runs before any weights load
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IControlNetPipeline>());
    }

    [Fact]
    public void Bad_values_are_each_named_with_the_fix()
    {
        var (services, builder, _) = Host(o =>
        {
            o.Device = "gpu";
            o.DType = "fp8";
            o.Defaults = o.Defaults with { Steps = 0, Sampler = "k_lms", Width = 500 };
        });
        builder.AddControl("canny", "m", o => o with { Start = 0.8, End = 0.2, Options = new Dictionary<string, string> { ["lowest"] = "3" } })
               .AddControl("canny", "other")
               .AddControl("scribble", "", o => o with { Preprocessor = "hed" });
        using var provider = services.BuildServiceProvider();
        var failures = Assert.Throws<OptionsValidationException>(() => provider.ValidateControlNet()).Failures.ToArray();
        string all = string.Join("\n", failures);
        Assert.Contains("Device is 'gpu'", all);
        Assert.Contains("DType is 'fp8'", all);
        Assert.Contains("Steps is 0", all);
        Assert.Contains("Sampler is 'k_lms'", all);
        Assert.Contains("Width is 500", all);
        Assert.Contains("start 0.8 and end 0.2", all);
        Assert.Contains("no option 'lowest'", all);
        Assert.Contains("Control key 'canny' is registered 2 times", all);
        Assert.Contains("Control 'scribble' has no model", all);
        Assert.Contains("preprocessor 'hed'", all);
        Assert.Equal(10, failures.Length);
    }

    [Fact]
    public void Plugins_load_from_folders_added_to_the_builder()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "cli-plugins");
        var services = new ServiceCollection();
        services.AddSingleton<IControlNetPipelineFactory>(new FakePipelineFactory());
        services.AddControlNet(o => { o.BaseModel = "b"; o.UseDefaultPluginFolders = false; })
            .AddPlugins(folder)
            .AddDepth(model: "d").AddOpenPose(model: "p");
        using var provider = services.BuildServiceProvider();
        provider.ValidateControlNet();
        var catalog = provider.GetRequiredService<PluginCatalog>();
        Assert.Contains(folder, catalog.ScannedFolders);
        Assert.Contains(catalog.Plugins, p => p.Plugin.Id == "openpose" && p.Source.StartsWith(folder, StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_plugin_folder_is_a_validation_error_naming_the_folder_and_the_fix()
    {
        var missing = Path.Combine(Path.GetTempPath(), "controlnet-no-such-plugins-" + Guid.NewGuid().ToString("N"));
        var (services, builder, _) = Host();
        builder.AddPlugins(missing).AddCanny(model: "m");
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.ValidateControlNet());
        var failure = Assert.Single(e.Failures);
        Assert.Equal($"Plug-in folder '{missing}' does not exist; create it (one subfolder per plug-in) or remove AddPlugins(\"{missing}\").", failure);
    }

    [Fact]
    public void Built_in_plugin_folders_share_the_hosts_OpenCV_and_run()
    {
        // The CLI's plug-in folders leave OpenCvSharp and its 113 MB native library to the host (one copy per host).
        var folder = Path.Combine(AppContext.BaseDirectory, "cli-plugins");
        var canny = Path.Combine(folder, "ControlNet.Conditions.Canny");
        Assert.True(File.Exists(Path.Combine(canny, "ControlNet.Conditions.Canny.dll")), canny);
        Assert.Empty(Directory.GetFiles(canny, "*OpenCvSharp*", SearchOption.AllDirectories));

        var catalog = new PluginCatalog().AddPluginFolder(canny);
        Assert.Empty(catalog.Failures);
        const int n = 16;
        var rgb = new byte[n * n * 3];
        for (int y = 4; y < 12; y++)
            for (int x = 4; x < 12; x++) rgb[(y * n + x) * 3] = rgb[(y * n + x) * 3 + 1] = rgb[(y * n + x) * 3 + 2] = 255;
        var (_, pre) = catalog.FindPreprocessor("canny");
        var map = pre.Run(Abstractions.PreprocessorSource.From(Abstractions.ConditionImage.Rgb(n, n, rgb)),
            new Dictionary<string, string> { ["detect-resolution"] = "64" }, CancellationToken.None);
        Assert.Contains(map.Data!, v => v == 255);                    // the square's edges, found by OpenCV through the host's copy
        Assert.Contains(map.Data!, v => v == 0);
    }

    [Fact]
    public void Shuffle_checkpoints_are_passed_as_global_average_pooling()
    {
        var (services, builder, factory) = Host();
        builder.AddPlugins(Path.Combine(AppContext.BaseDirectory, "cli-plugins"))
            .AddShuffle()                                                        // lllyasviel/control_v11e_sd15_shuffle
            .AddControl("mine", "/models/control_v11e_sd15_shuffle.pth", o => o with { Plugin = "shuffle" })
            .AddControl("other", "/models/custom.safetensors", o => o with { Plugin = "shuffle" })
            .AddControl("forced", "x", o => o with { Plugin = "canny", GlobalAveragePooling = true })
            .AddCanny(model: "lllyasviel/control_v11p_sd15_canny");
        using var provider = services.BuildServiceProvider();
        provider.ValidateControlNet();
        provider.GetRequiredService<IControlNetPipeline>();
        Assert.Equal(["forced", "mine", "shuffle"], Assert.Single(factory.Created).Options.GlobalAveragePooling.Order());
    }
}
