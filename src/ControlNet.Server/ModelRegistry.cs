using ControlNet.Hosting;

namespace ControlNet.Server;

/// <summary>
/// The models the server serves: the base model and its ControlNets (those the model folder's manifest lists plus the
/// <c>--control TYPE=MODEL</c> options). Client requests resolve names only through <see cref="Find"/>, so no client
/// string ever becomes a path.
/// </summary>
public sealed class ModelRegistry
{
    public string BaseModel { get; }
    /// <summary>The base model's display name (folder or file name).</summary>
    public string BaseName { get; }
    public string BaseHash { get; }
    public IReadOnlyList<RegisteredControlNet> ControlNets { get; }

    ModelRegistry(string baseModel, IReadOnlyList<RegisteredControlNet> controlNets)
    {
        BaseModel = baseModel;
        BaseName = DisplayName(baseModel);
        BaseHash = ShortHash(baseModel);
        ControlNets = controlNets;
    }

    /// <summary>Reads the options: the model folder's ControlNets first, then each TYPE=MODEL; names must be distinct.</summary>
    public static ModelRegistry Create(ServerOptions options)
    {
        var baseModel = options.BaseModel ?? DefaultModel.Path;
        var list = new List<RegisteredControlNet>();
        if (Pipelines.ModelFolderManifest.IsModelFolder(baseModel))
            foreach (var type in Pipelines.ModelFolderManifest.Read(baseModel).ControlNets.Keys)
                list.Add(Register(type, DefaultModel.ControlNetInside(baseModel, type)!));
        foreach (var spec in options.Controls)
        {
            int eq = spec.IndexOf('=');
            if (eq <= 0 || eq == spec.Length - 1)
                throw new ArgumentException($"--control '{spec}': expected TYPE=MODEL, e.g. canny=control_v11p_sd15_canny.safetensors (TYPE is a plug-in id from 'controlnet plugins list').");
            var model = spec[(eq + 1)..].Trim();
            var full = Path.GetFullPath(model);
            list.Add(Register(spec[..eq].Trim(), File.Exists(full) || Directory.Exists(full) ? full : model));
        }
        foreach (var dup in list.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            throw new ArgumentException($"Two ControlNets are named '{dup.Key}' ({string.Join(", ", dup.Select(d => d.Model))}); rename one file so clients can tell them apart.");
        return new ModelRegistry(baseModel, list);
    }

    static RegisteredControlNet Register(string type, string model) => new(DisplayName(model), ShortHash(model), type.ToLowerInvariant(), model);

    static string DisplayName(string model)
    {
        var trimmed = model.TrimEnd('/', '\\');
        return File.Exists(trimmed) ? Path.GetFileNameWithoutExtension(trimmed) : Path.GetFileName(trimmed);
    }

    // What the extension shows in "name [hash]": A1111's old model hash, cheap on multi-gigabyte files.
    static string ShortHash(string model) => File.Exists(model) ? Hosting.Runs.A1111Parameters.LegacyHash(model) : "";

    /// <summary>
    /// The ControlNet a client means, as the extension resolves names: the exact title, the exact name, the name before
    /// " [hash]", then the shortest name containing the text. Null when nothing matches.
    /// </summary>
    public RegisteredControlNet? Find(string? requested)
    {
        if (string.IsNullOrWhiteSpace(requested)) return null;
        var text = requested.Trim();
        var exact = ControlNets.FirstOrDefault(c => string.Equals(c.Title, text, StringComparison.OrdinalIgnoreCase) || string.Equals(c.Name, text, StringComparison.OrdinalIgnoreCase));
        if (exact is not null) return exact;
        int bracket = text.LastIndexOf(" [", StringComparison.Ordinal);
        if (bracket > 0 && text.EndsWith(']'))
            return Find(text[..bracket]);
        return ControlNets.Where(c => c.Name.Contains(text, StringComparison.OrdinalIgnoreCase)).OrderBy(c => c.Name.Length).FirstOrDefault();
    }

    /// <summary>The message for a name that resolves to nothing.</summary>
    public string NotFound(string? requested) =>
        $"ControlNet model '{requested}' is not registered on this server. Registered: {(ControlNets.Count == 0 ? "(none; start the server with --control TYPE=MODEL)" : string.Join(", ", ControlNets.Select(c => c.Title)))}.";
}
