using System.Text.Json;

namespace ControlNet.Hosting.Plugins;

/// <summary>
/// Checks a plug-in's <c>NAME.deps.json</c> before the .NET host reads it. Loading a plug-in hands that file to the
/// runtime's native host (hostpolicy, through <c>AssemblyDependencyResolver</c>), which trusts its shape: a
/// <c>runtimeTarget</c> without a string <c>name</c>, or a number where it expects an object, aborts or crashes the whole
/// process (a plain <c>{}</c> does). So every value the host reads must have the type the SDK writes, or the plug-in is
/// refused with one line. Unknown properties are allowed (the host ignores them too).
/// </summary>
public static class PluginDepsFile
{
    /// <summary>Asset groups of a target library: each maps a path to an object of string properties.</summary>
    static readonly string[] AssetGroups = ["runtime", "native", "resources", "runtimeTargets", "compile"];

    /// <summary>String and boolean properties of a <c>libraries</c> entry.</summary>
    static readonly string[] LibraryStrings = ["type", "sha512", "path", "hashPath", "runtimeStoreManifestName"];

    /// <summary>Larger than any deps file the SDK writes by three orders of magnitude; a bigger one is not read.</summary>
    public const long MaxBytes = 16 << 20;

    /// <summary>Throws <see cref="InvalidDataException"/> naming the first value of the wrong type.</summary>
    public static void Check(string path)
    {
        var length = new FileInfo(path).Length;
        if (length > MaxBytes) throw new InvalidDataException($"it has {length:N0} bytes, more than the {MaxBytes:N0} a deps file can need");
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false }); }
        catch (JsonException e) { throw new InvalidDataException($"it is not valid JSON ({e.Message.Split('.')[0]})"); }
        using (document)
        {
            var root = Object(document.RootElement, "the file");
            var target = Object(Required(root, "runtimeTarget"), "runtimeTarget");
            var name = String(Required(target, "name"), "runtimeTarget.name");
            if (name.Length == 0) throw new InvalidDataException("runtimeTarget.name is empty");
            Optional(target, "signature", v => String(v, "runtimeTarget.signature"));

            // Every library of every target must be described in 'libraries' (the host looks it up without checking).
            var libraries = Object(Required(root, "libraries"), "libraries");
            foreach (var library in libraries.EnumerateObject())
            {
                var at = $"libraries['{library.Name}']";
                var entry = Object(library.Value, at);
                // type, serviceable and sha512 are read unconditionally (the SDK always writes them, sha512 "" for projects).
                String(Required(entry, "type"), $"{at}.type");
                String(Required(entry, "sha512"), $"{at}.sha512");
                var serviceable = Required(entry, "serviceable");
                if (serviceable.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Wrong($"{at}.serviceable", "true or false", serviceable);
                foreach (var key in LibraryStrings) Optional(entry, key, v => String(v, $"{at}.{key}"));
            }

            var targets = Object(Required(root, "targets"), "targets");
            foreach (var framework in targets.EnumerateObject())
                foreach (var library in Object(framework.Value, $"targets['{framework.Name}']").EnumerateObject())
                {
                    var at = $"targets['{framework.Name}']['{library.Name}']";
                    if (!libraries.TryGetProperty(library.Name, out _)) throw new InvalidDataException($"{at} has no entry in 'libraries'");
                    CheckTargetLibrary(library.Value, at);
                }

            Optional(root, "runtimes", runtimes =>
            {
                foreach (var rid in Object(runtimes, "runtimes").EnumerateObject())
                {
                    if (rid.Value.ValueKind != JsonValueKind.Array) throw Wrong($"runtimes['{rid.Name}']", "an array", rid.Value);
                    foreach (var fallback in rid.Value.EnumerateArray()) String(fallback, $"runtimes['{rid.Name}'][]");
                }
            });
        }
    }

    static void CheckTargetLibrary(JsonElement library, string at)
    {
        var entry = Object(library, at);
        Optional(entry, "dependencies", deps =>
        {
            foreach (var d in Object(deps, $"{at}.dependencies").EnumerateObject()) String(d.Value, $"{at}.dependencies['{d.Name}']");
        });
        foreach (var group in AssetGroups)
            Optional(entry, group, assets =>
            {
                foreach (var asset in Object(assets, $"{at}.{group}").EnumerateObject())
                {
                    var where = $"{at}.{group}['{asset.Name}']";
                    var properties = Object(asset.Value, where);
                    foreach (var property in properties.EnumerateObject()) String(property.Value, $"{where}.{property.Name}");
                    // A runtime-specific asset names its runtime and kind.
                    if (group == "runtimeTargets")
                        foreach (var key in (string[])["rid", "assetType"]) String(Required(properties, key), $"{where}.{key}");
                }
            });
    }

    static JsonElement Object(JsonElement e, string at) => e.ValueKind == JsonValueKind.Object ? e : throw Wrong(at, "an object", e);

    static string String(JsonElement e, string at) => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Wrong(at, "a string", e);

    static JsonElement Required(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) ? value : throw new InvalidDataException($"'{name}' is missing");

    static void Optional(JsonElement parent, string name, Action<JsonElement> check)
    {
        if (parent.TryGetProperty(name, out var value)) check(value);
    }

    static InvalidDataException Wrong(string at, string expected, JsonElement found) =>
        new($"{at} must be {expected}, not {found.ValueKind.ToString().ToLowerInvariant()}");
}
