using System.ComponentModel;
using ControlNet.Checkpoints;
using ControlNet.Hub;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary><c>controlnet models list</c>: repositories in the Hugging Face cache.</summary>
public sealed class ModelsListCommand : Command<GlobalSettings>
{
    public override int Execute(CommandContext context, GlobalSettings settings, CancellationToken cancellationToken)
    {
        var options = HubOptions.FromEnvironment();
        Console.WriteLine($"cache: {options.CacheDir}");
        if (!Directory.Exists(options.CacheDir)) { Console.WriteLine("(empty)"); return ExitCodes.Success; }
        foreach (var dir in Directory.GetDirectories(options.CacheDir, "models--*").OrderBy(d => d, StringComparer.Ordinal))
        {
            var repo = Path.GetFileName(dir)["models--".Length..].Replace("--", "/", StringComparison.Ordinal);
            var blobs = Path.Combine(dir, "blobs");
            var bytes = Directory.Exists(blobs) ? new DirectoryInfo(blobs).GetFiles().Where(f => !f.Name.EndsWith(".incomplete", StringComparison.Ordinal)).Sum(f => f.Length) : 0;
            var refsDir = Path.Combine(dir, "refs");
            var refs = Directory.Exists(refsDir) ? Directory.GetFiles(refsDir).Select(f => $"{Path.GetFileName(f)}={File.ReadAllText(f).Trim()[..Math.Min(8, File.ReadAllText(f).Trim().Length)]}") : Array.Empty<string>();
            var partial = Directory.Exists(blobs) && Directory.GetFiles(blobs, "*.incomplete").Length > 0 ? "  (partial download: run download again to resume)" : "";
            Console.WriteLine($"{repo,-50} {bytes / 1e6,10:N1} MB  {string.Join(" ", refs)}{partial}");
        }
        return ExitCodes.Success;
    }
}

/// <summary><c>controlnet models download REPO [--file F] [--revision R] [--variant fp16]</c>: fills the cache, prints the local path.</summary>
public sealed class ModelsDownloadCommand : Command<ModelsDownloadCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandArgument(0, "<REPO>")]
        [Description("Hugging Face repo id, e.g. lllyasviel/control_v11p_sd15_canny or runwayml/stable-diffusion-v1-5.")]
        public string Repo { get; init; } = "";

        [CommandOption("--file <FILE>")]
        [Description("One file of the repo (e.g. control_v11p_sd15_canny.pth in lllyasviel/ControlNet-v1-1).")]
        public string? File { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var hub = new HubClient(HubOptions.FromEnvironment());
        var path = settings.File is null
            ? hub.DownloadModelAsync(settings.Repo, settings.Revision, settings.Variant, ConsoleProgress.Instance, cancellationToken).GetAwaiter().GetResult()
            : hub.DownloadFileAsync(settings.Repo, settings.File, settings.Revision, ConsoleProgress.Instance, cancellationToken).GetAwaiter().GetResult();
        Console.WriteLine(path);
        return ExitCodes.Success;
    }
}
