using ControlNet.Checkpoints;
using ControlNet.Hub;
using ControlNet.Tests.Checkpoints;

namespace ControlNet.Tests.Hub;

/// <summary>The hub client against a local server on 127.0.0.1; no test touches the network.</summary>
public class HubClientTests
{
    const string Repo = "lllyasviel/control_v11p_sd15_canny";

    static byte[] ControlNetFile(TempDir dir, string name, TensorDType dtype)
    {
        var path = dir[name];
        WeightsFile.Write(path, TestFiles.Tiny(ModelComponent.ControlNet).Select(t => KeyMap.ToDiffusers(ModelComponent.ControlNet, t)!.ConvertedTo(dtype)));
        return File.ReadAllBytes(path);
    }

    [Fact]
    public async Task Downloads_into_the_hf_cache_layout_with_token_and_reuses_it_offline()
    {
        using var dir = new TempDir();
        using var hub = new FakeHub { RequiredToken = "hf_test" };
        var config = "{\"_class_name\": \"ControlNetModel\"}"u8.ToArray();
        var fp32 = ControlNetFile(dir, "a.safetensors", TensorDType.F32);
        var fp16 = ControlNetFile(dir, "b.safetensors", TensorDType.F16);
        hub.Add(Repo, "config.json", config);
        hub.Add(Repo, "diffusion_pytorch_model.safetensors", fp32);
        hub.Add(Repo, "diffusion_pytorch_model.fp16.safetensors", fp16);
        hub.Add(Repo, "diffusion_pytorch_model.bin", new byte[] { 1, 2, 3 });
        var cache = dir["hf/hub"];
        var options = new HubOptions { Endpoint = hub.Endpoint, CacheDir = cache, Token = "hf_test" };

        var reports = new List<HubProgress>();
        string snapshot;
        using (var client = new HubClient(options))
            snapshot = await client.DownloadModelAsync(Repo, "main", "fp16", new SyncProgress(reports.Add));

        var repoDir = Path.Combine(cache, "models--lllyasviel--control_v11p_sd15_canny");
        Assert.Equal(Path.Combine(repoDir, "snapshots", hub.Commit), snapshot);
        Assert.Equal(hub.Commit, File.ReadAllText(Path.Combine(repoDir, "refs", "main")));
        var weights = Path.Combine(snapshot, "diffusion_pytorch_model.fp16.safetensors");
        Assert.Equal(fp16, File.ReadAllBytes(weights));
        Assert.StartsWith("../../blobs/", new FileInfo(weights).LinkTarget);
        Assert.False(File.Exists(Path.Combine(snapshot, "diffusion_pytorch_model.safetensors"))); // only the variant asked for
        Assert.False(File.Exists(Path.Combine(snapshot, "diffusion_pytorch_model.bin")));
        Assert.All(hub.Log.Where(l => !l.Contains("/cdn/")), l => Assert.Contains("auth=Bearer hf_test", l));
        Assert.Contains(reports, r => r.File == "diffusion_pytorch_model.fp16.safetensors" && r.BytesDone == fp16.Length && r.TotalBytes == fp16.Length);

        // The loader opens the repo id through the cache, offline, with the server gone.
        hub.Dispose();
        using var c = CheckpointLoader.Open(Repo, new CheckpointOptions { Variant = "fp16", Hub = options with { Offline = true } });
        Assert.Equal("diffusers folder (ControlNet)", c.Format);
        Assert.All(c[ModelComponent.ControlNet].Tensors, t => Assert.Equal(TensorDType.F16, t.DType));

        using var offline = new HubClient(options with { Offline = true });
        var miss = await Assert.ThrowsAsync<FileNotFoundException>(() => offline.DownloadFileAsync(Repo, "other.safetensors"));
        Assert.Contains("HF_HUB_OFFLINE", miss.Message);
    }

    [Fact]
    public async Task A_cached_model_is_used_with_the_hub_down_and_one_line_says_so()
    {
        using var dir = new TempDir();
        var hub = new FakeHub();
        var weights = ControlNetFile(dir, "a.safetensors", TensorDType.F32);
        hub.Add(Repo, "config.json", "{\"_class_name\": \"ControlNetModel\"}"u8.ToArray());
        hub.Add(Repo, "diffusion_pytorch_model.safetensors", weights);
        var notices = new List<string>();
        var options = new HubOptions { Endpoint = hub.Endpoint, CacheDir = dir["hf/hub"], Notice = notices.Add };
        string online;
        using (var client = new HubClient(options))
            online = await client.DownloadModelAsync(Repo);
        Assert.Empty(notices);

        hub.Dispose();   // the server is gone; HF_HUB_OFFLINE is not set
        using (var client = new HubClient(options))
        {
            Assert.Equal(online, await client.DownloadModelAsync(Repo));
            Assert.Equal(weights, File.ReadAllBytes(await client.DownloadFileAsync(Repo, "diffusion_pytorch_model.safetensors")));
        }
        Assert.Equal(2, notices.Count);
        Assert.All(notices, n => Assert.Contains("Cannot reach the Hugging Face Hub", n));
        Assert.Contains("using the cached " + Repo + "@main", notices[0]);

        notices.Clear();
        using (var c = CheckpointLoader.Open(Repo, new CheckpointOptions { Hub = options }))
            Assert.True(c.Has(ModelComponent.ControlNet));
        Assert.Single(notices);

        // A repository that was never downloaded still fails, naming the cause.
        using var other = new HubClient(options);
        var e = await Assert.ThrowsAnyAsync<IOException>(() => other.DownloadModelAsync("org/never-downloaded"));
        Assert.Contains("Cannot reach the Hugging Face Hub", e.Message);
    }

    [Fact]
    public void Hf_environment_variables_keep_their_meanings()
    {
        var env = new Dictionary<string, string?> { ["HF_HOME"] = "/data/hf", ["HF_HUB_OFFLINE"] = "1" };
        var fromHome = HubOptions.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal(Path.Combine("/data/hf", "hub"), fromHome.CacheDir);
        Assert.True(fromHome.Offline);
        env["HF_HUB_CACHE"] = "/elsewhere";
        env["HF_HUB_OFFLINE"] = "0";
        var fromCache = HubOptions.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal("/elsewhere", fromCache.CacheDir);
        Assert.False(fromCache.Offline);
    }

    [Fact]
    public async Task An_interrupted_download_resumes_with_a_range_request()
    {
        using var dir = new TempDir();
        using var hub = new FakeHub();
        var data = ControlNetFile(dir, "w.safetensors", TensorDType.F32);
        hub.Add("org/single", "model.safetensors", data);
        var options = new HubOptions { Endpoint = hub.Endpoint, CacheDir = dir["cache"] };
        using var client = new HubClient(options);

        hub.CutNextDownload = true;
        await Assert.ThrowsAnyAsync<IOException>(() => client.DownloadFileAsync("org/single", "model.safetensors"));
        var partial = Directory.GetFiles(Path.Combine(dir["cache"], "models--org--single", "blobs"), "*.incomplete").Single();
        var have = new FileInfo(partial).Length;
        Assert.InRange(have, 1, data.Length - 1);

        var path = await client.DownloadFileAsync("org/single", "model.safetensors");
        Assert.Equal(data, File.ReadAllBytes(path));
        Assert.Contains(hub.Log, l => l.Contains($"range=bytes={have}-"));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir["cache"], "models--org--single", "blobs"), "*.incomplete"));

        // A single-file repo as a model argument resolves to its one weights file.
        using var c = CheckpointLoader.Open("org/single", new CheckpointOptions { Hub = options });
        Assert.True(c.Has(ModelComponent.ControlNet));
    }

    [Fact]
    public async Task Errors_name_the_fix()
    {
        using var dir = new TempDir();
        using var hub = new FakeHub { RequiredToken = "secret" };
        hub.Add("org/gated", "model.safetensors", new byte[8]);
        hub.Add("org/many", "a.pth", new byte[8]);
        hub.Add("org/many", "b.pth", new byte[8]);
        var options = new HubOptions { Endpoint = hub.Endpoint, CacheDir = dir["cache"] };
        using var client = new HubClient(options);
        var denied = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => client.DownloadFileAsync("org/gated", "model.safetensors"));
        Assert.Contains("HF_TOKEN", denied.Message);

        hub.RequiredToken = null;
        var notFound = await Assert.ThrowsAsync<FileNotFoundException>(() => client.DownloadFileAsync("org/gated", "nope.safetensors"));
        Assert.Contains("404", notFound.Message);
        var many = await Assert.ThrowsAsync<ArgumentException>(() => client.DownloadModelAsync("org/many"));
        Assert.Contains("org/many/a.pth", many.Message);
        Assert.Throws<ArgumentException>(() => client.RepoFolder("../etc"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.DownloadFileAsync("org/gated", "../../x"));
    }

    [Fact]
    public void Options_come_from_the_huggingface_environment_variables()
    {
        var env = new Dictionary<string, string?> { ["HF_HOME"] = "/data/hf", ["HF_TOKEN"] = "t", ["HF_HUB_OFFLINE"] = "1", ["HF_ENDPOINT"] = "http://127.0.0.1:9/" };
        var o = HubOptions.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal("/data/hf/hub", o.CacheDir);
        Assert.Equal("t", o.Token);
        Assert.True(o.Offline);
        Assert.Equal("http://127.0.0.1:9", o.Endpoint);
    }

    [Fact]
    public void Pipeline_repos_select_configs_tokenizer_and_one_weights_file_per_component()
    {
        var files = new[]
        {
            "model_index.json", "v1-5-pruned-emaonly.ckpt", "scheduler/scheduler_config.json", "tokenizer/vocab.json", "tokenizer/merges.txt",
            "unet/config.json", "unet/diffusion_pytorch_model.bin", "unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors",
            "vae/config.json", "vae/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.fp16.safetensors",
            "text_encoder/config.json", "text_encoder/model.safetensors", "text_encoder/model.fp16.safetensors", "safety_checker/config.json",
        };
        var picked = ModelFileSelection.Select("runwayml/stable-diffusion-v1-5", files, "fp16");
        Assert.Equal(new[]
        {
            "model_index.json", "tokenizer/vocab.json", "tokenizer/merges.txt", "scheduler/scheduler_config.json",
            "unet/config.json", "unet/diffusion_pytorch_model.fp16.safetensors", "vae/config.json", "vae/diffusion_pytorch_model.fp16.safetensors",
            "text_encoder/config.json", "text_encoder/model.fp16.safetensors",
        }, picked);
        Assert.Contains("unet/diffusion_pytorch_model.safetensors", ModelFileSelection.Select("r/x", files, null));
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests need the reports in order, synchronously.</summary>
    sealed class SyncProgress(Action<HubProgress> report) : IProgress<HubProgress>
    {
        public void Report(HubProgress value) => report(value);
    }
}
