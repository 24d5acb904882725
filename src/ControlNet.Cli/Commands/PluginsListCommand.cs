using System.ComponentModel;
using System.Text.Json;
using ControlNet.Abstractions;
using ControlNet.Hosting.Packages;
using ControlNet.Hosting.Plugins;
using Spectre.Console.Cli;

namespace ControlNet.Cli.Commands;

/// <summary><c>controlnet plugins list [--json]</c>: every loaded plug-in with version, preprocessors, options, model files and checkpoints; then failures.</summary>
public sealed class PluginsListCommand : Command<PluginsListCommand.Settings>
{
    public sealed class Settings : PluginFolderSettings
    {
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var catalog = settings.LoadCatalog();
        var home = PluginHome.Default;
        var installed = new InstalledPluginRegistry(home.InstalledFile).Load();
        // The package a loaded plug-in came from: its folder is $CONTROLNET_HOME/plugins/<Id>.
        InstalledPlugin? PackageOf(LoadedPlugin p) => installed.FirstOrDefault(i =>
            string.Equals(Path.GetFullPath(home.PluginFolder(i.Id)), Path.GetFullPath(p.Source), StringComparison.Ordinal));
        if (settings.Json)
        {
            var doc = new
            {
                contract = ContractVersion.Current.ToString(2),
                folders = catalog.ScannedFolders,
                plugins = catalog.Plugins.Select(p => new
                {
                    id = p.Plugin.Id,
                    name = p.Plugin.DisplayName,
                    description = p.Plugin.Description,
                    version = p.Version?.ToString(),
                    contract = p.Plugin.TargetContract.ToString(2),
                    source = p.Source,
                    package = PackageOf(p) is { } pkg ? new { id = pkg.Id, version = pkg.Version, source = pkg.Source } : null,
                    hintEncoder = p.Plugin.HintEncoder switch
                    {
                        HintEncoderSpec.Standard s => $"standard ({s.InputChannels} channels)",
                        HintEncoderSpec.Paper paper => $"paper ({paper.InputChannels} channels, keys paper_hint_block.*)",
                        HintEncoderSpec.Custom c => $"custom: {c.Name} ({c.InputChannels} channels, keys {c.Name}.*)",
                        _ => "unknown",
                    },
                    preprocessors = p.Plugin.Preprocessors.Select(x => new
                    {
                        id = x.Id,
                        description = x.Description,
                        input = x.Input.ToString(),
                        options = x.Options.Select(o => new { name = o.Name, type = o.Type, @default = o.DefaultValue, description = o.Description, values = o.AllowedValues }),
                    }),
                    modelFiles = p.Plugin.ModelFiles.Select(m => new { name = m.Name, size = m.SizeBytes, url = m.Url?.ToString(), sha256 = m.Sha256 }),
                    checkpoints = p.Plugin.Checkpoints.Select(c => new { name = c.Name, source = c.Source, globalAveragePooling = c.GlobalAveragePooling }),
                }),
                failures = catalog.Failures.Select(f => new { name = f.Name, source = f.Source, message = f.Message }),
                installed = installed.Select(i => new { id = i.Id, version = i.Version, source = i.Source, contract = i.Contract, installedAt = i.InstalledAt }),
            };
            Console.WriteLine(JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return ExitCodes.Success;
        }

        Console.WriteLine($"Plug-in contract {ContractVersion.Current.ToString(2)}; folders: {(catalog.ScannedFolders.Count == 0 ? "(none found)" : string.Join(", ", catalog.ScannedFolders))}");
        if (catalog.Plugins.Count == 0) Console.WriteLine("No plug-ins loaded.");
        foreach (var p in catalog.Plugins)
        {
            var pl = p.Plugin;
            Console.WriteLine();
            Console.WriteLine($"{pl.Id}  {pl.DisplayName}  v{p.Version} (contract {pl.TargetContract.ToString(2)})");
            Console.WriteLine($"  {pl.Description}");
            Console.WriteLine($"  from: {p.Source}");
            if (PackageOf(p) is { } package) Console.WriteLine($"  package: {package.Id} {package.Version} from {package.Source}");
            foreach (var x in pl.Preprocessors)
            {
                Console.WriteLine($"  preprocessor {x.Id} ({x.Input}): {x.Description}");
                foreach (var o in x.Options)
                    Console.WriteLine($"    --option {o.Name}=<{(o.AllowedValues.Count > 0 ? string.Join("|", o.AllowedValues) : o.Type)}>  default {o.DefaultValue ?? "(none)"}  {o.Description}");
            }
            Console.WriteLine("  model files: " + (pl.ModelFiles.Count == 0 ? "none" : string.Join(", ", pl.ModelFiles.Select(m => $"{m.Name} ({m.SizeBytes?.ToString() ?? "?"} B) {m.Url}"))));
            Console.WriteLine("  checkpoints: " + (pl.Checkpoints.Count == 0 ? "none" : string.Join(", ", pl.Checkpoints.Select(c => c.Name))));
        }
        Console.WriteLine();
        Console.WriteLine(installed.Count == 0
            ? $"No plug-in packages installed in {home.Plugins} (controlnet plugins install PACKAGE)."
            : $"Installed plug-in packages ({home.InstalledFile}):");
        foreach (var i in installed)
            Console.WriteLine($"  {i.Id} {i.Version}  contract {i.Contract}  from {i.Source}  ({i.InstalledAt:yyyy-MM-dd})");
        if (catalog.Failures.Count > 0)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine("Failed to load:");
            foreach (var f in catalog.Failures) Console.Error.WriteLine($"  {f.Name}: {f.Message}");
        }
        return ExitCodes.Success;
    }
}
