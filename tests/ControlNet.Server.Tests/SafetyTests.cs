using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace ControlNet.Server.Tests;

/// <summary>Loopback by default, the API key, the caps, and one-line JSON errors.</summary>
public sealed class SafetyTests
{
    [Fact]
    public void A_non_loopback_address_needs_an_api_key_and_the_default_is_loopback()
    {
        Assert.True(IPAddress.IsLoopback(ServerHost.ParseListen(new ServerOptions().Listen).Address));
        var e = Assert.Throws<ArgumentException>(() => ServerHost.Build(new ServerOptions { Listen = "0.0.0.0:0" }));
        Assert.Contains("--api-key", e.Message);
        Assert.Throws<ArgumentException>(() => ServerHost.ParseListen("somewhere"));
    }

    [Fact]
    public async Task The_api_key_is_required_everywhere_but_the_page_and_caps_refuse_big_requests()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { ApiKey = "s3cret", MaxBodyBytes = 200_000, MaxPixels = 64 * 64, MaxImages = 2 });
        using (var page = await server.Http.GetAsync("/")) Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using (var denied = await server.Http.GetAsync("/controlnet/version"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
            Assert.Contains("X-Api-Key", await denied.Content.ReadAsStringAsync());
        }
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/controlnet/version") { Headers = { { "X-Api-Key", "guess" } } })
            Assert.Equal(HttpStatusCode.Unauthorized, (await server.Http.SendAsync(wrong)).StatusCode);
        server.Http.DefaultRequestHeaders.Authorization = new("Bearer", "s3cret");
        Assert.Equal(2, (await server.GetJsonAsync("/controlnet/version")).GetProperty("version").GetInt32());

        var (status, json) = await server.PostAsync("/sdapi/v1/txt2img", new { prompt = "x", width = 128, height = 128 });
        Assert.Equal(422, status);
        Assert.Contains("4,096 pixels", json.GetProperty("error").GetString());
        (status, json) = await server.PostAsync("/sdapi/v1/txt2img", new { prompt = "x", batch_size = 3 });
        Assert.Equal(422, status);
        (status, json) = await server.PostAsync("/controlnet/detect", new { controlnet_module = "canny", controlnet_input_images = new[] { TestImages.SquareBase64(128) } });
        Assert.Equal(422, status);
        Assert.Contains("controlnet_input_images[0]", json.GetProperty("detail")[0].GetProperty("loc").EnumerateArray().Select(e => e.GetString()));

        using var big = await server.Http.PostAsync("/sdapi/v1/txt2img", new StringContent(JsonSerializer.Serialize(new { prompt = new string('a', 300_000) }), Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        var text = await big.Content.ReadAsStringAsync();
        Assert.Single(text.TrimEnd('\n').Split('\n'));
        Assert.Contains("larger than this server accepts", JsonDocument.Parse(text).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_plugin_that_fails_while_preprocessing_is_a_one_line_500_naming_it_and_the_server_keeps_serving()
    {
        var plugins = Directory.CreateTempSubdirectory("controlnet-server-plugins-").FullName;
        try
        {
            ControlNet.Tests.Plugins.PluginCompiler.Compile("Acme.Crash", ControlNet.Tests.Plugins.PluginCompiler.BrokenPluginSource("Acme.Crash", "crash",
                ControlNet.Tests.Plugins.PluginCompiler.RunBody, "string? nothing = null; var img = source.RequireImage(nothing!.Trim()).ToRgb8();"),
                Path.Combine(plugins, "Acme.Crash"));
            await using var server = await TestServer.StartAsync(new ServerOptions { PluginFolders = [plugins] });

            using var response = await server.Http.PostAsJsonAsync("/v1/preprocess", new { preprocessor = "crash", image = TestImages.SquareBase64(32) });
            var text = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Single(text.TrimEnd('\n').Split('\n'));
            var error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
            Assert.Contains("Preprocessor 'crash' (Acme.Crash) failed", error);
            Assert.Contains("NullReferenceException", error);
            Assert.DoesNotContain("   at ", text);
            var (status, json) = await server.PostAsync("/v1/preprocess", new { preprocessor = "canny", image = TestImages.SquareBase64(32) });
            Assert.True(status == 200, json.ToString());
        }
        finally { Directory.Delete(plugins, recursive: true); }
    }
}
