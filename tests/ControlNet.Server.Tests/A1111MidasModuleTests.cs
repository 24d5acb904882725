namespace ControlNet.Server.Tests;

/// <summary>The extension's depth_midas and normal_midas modules map to the Depth plug-in's MiDaS preprocessors.</summary>
public sealed class A1111MidasModuleTests(ToyServerFixture fixture) : IClassFixture<ToyServerFixture>
{
    TestServer Server => fixture.Server;

    [Fact]
    public async Task Depth_midas_and_normal_midas_are_listed_and_detect_names_the_missing_weights()
    {
        var modules = await Server.GetJsonAsync("/controlnet/module_list");
        var names = modules.GetProperty("module_list").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Contains("depth_midas", names);
        Assert.Contains("normal_midas", names);
        Assert.Contains("depth_map", names);
        // normal_midas: processor_res and threshold_a (the background threshold, default 0.4) as the extension shows them.
        Assert.Equal(2, modules.GetProperty("module_detail").GetProperty("normal_midas").GetProperty("sliders").GetArrayLength());

        // The fixture names no annotator folder, so the estimator's file is missing: the error says which and where to get it.
        var (status, json) = await Server.PostAsync("/controlnet/detect", new { controlnet_module = "depth_midas", controlnet_input_images = new[] { TestImages.SquareBase64() }, controlnet_processor_res = 64 });
        Assert.NotEqual(200, status);
        Assert.Contains("dpt_hybrid-midas-501f0c75.pt (493.0 MB", json.ToString());
    }
}
