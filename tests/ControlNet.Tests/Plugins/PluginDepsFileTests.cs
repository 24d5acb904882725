using ControlNet.Abstractions;
using ControlNet.Cli;
using ControlNet.Hosting.Plugins;
using ControlNet.Tests.Checkpoints;
using ControlNet.Tests.Cli;

namespace ControlNet.Tests.Plugins;

/// <summary>
/// A plug-in's NAME.deps.json is read by the runtime's native host, which aborts the process on shapes it does not
/// expect (each case below did, before the check). The check refuses them with one line; the SDK's own files pass.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class PluginDepsFileTests : IDisposable
{
    readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    const string Target = "\"runtimeTarget\": {\"name\": \".NETCoreApp,Version=v10.0\", \"signature\": \"\"}";
    const string Library = "\"libraries\": {\"Acme.Deps/1.0.0\": {\"type\": \"project\", \"serviceable\": false, \"sha512\": \"\"}}";

    public static TheoryData<string, string> Malformed => new()
    {
        { "{}", "'runtimeTarget' is missing" },
        { "{\"runtimeTarget\": {}, \"targets\": {}, \"libraries\": {}}", "'name' is missing" },
        { "{\"runtimeTarget\": {\"name\": 5}, \"targets\": {}, \"libraries\": {}}", "runtimeTarget.name must be a string, not number" },
        { "{\"targets\": {}, \"libraries\": {}}", "'runtimeTarget' is missing" },
        { $"{{{Target}, \"targets\": 5, {Library}}}", "targets must be an object, not number" },
        { $"{{{Target}, \"targets\": {{\".NETCoreApp,Version=v10.0\": {{\"Acme.Deps/1.0.0\": {{\"runtime\": {{\"a.dll\": 5}}}}}}}}, {Library}}}", "must be an object, not number" },
        { $"{{{Target}, \"targets\": {{\".NETCoreApp,Version=v10.0\": {{\"Acme.Deps/1.0.0\": {{\"runtimeTargets\": {{\"x.so\": {{\"assetType\": \"native\"}}}}}}}}}}, {Library}}}", "'rid' is missing" },
        { $"{{{Target}, \"targets\": {{\".NETCoreApp,Version=v10.0\": {{\"Other/1.0.0\": {{}}}}}}, {Library}}}", "has no entry in 'libraries'" },
        { $"{{{Target}, \"targets\": {{}}, \"libraries\": {{\"Acme.Deps/1.0.0\": {{\"type\": \"package\", \"serviceable\": true}}}}}}", "'sha512' is missing" },
        { $"{{{Target}, {Target}, \"targets\": {{}}, {Library}}}", "not valid JSON" },
        { "not json", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_deps_file_is_refused_in_one_line_instead_of_aborting_the_process(string json, string expected)
    {
        var folder = FakePlugin(json);
        var failure = Assert.Single(new PluginCatalog().AddPluginFolder(folder).Failures);
        Assert.Contains("Acme.Deps.deps.json is malformed", failure.Message);
        Assert.Contains(expected, failure.Message);
        Assert.Contains("Reinstall the plug-in", failure.Message);
        Assert.DoesNotContain("\n", failure.Message);
    }

    [Fact]
    public void A_deps_file_beyond_the_size_limit_is_refused_before_it_is_read()
    {
        var folder = FakePlugin("{}");
        using (var f = File.OpenWrite(Path.Combine(folder, "Acme.Deps.deps.json"))) f.SetLength(PluginDepsFile.MaxBytes + 1);   // sparse
        var failure = Assert.Single(new PluginCatalog().AddPluginFolder(folder).Failures);
        Assert.Contains("more than the 16,777,216 a deps file can need", failure.Message);
    }

    [Fact]
    public void The_deps_files_the_sdk_writes_for_the_built_in_plugins_pass()
    {
        var files = Directory.GetFiles(CliRunner.PluginFolder, "*.deps.json", SearchOption.AllDirectories);
        Assert.True(files.Length >= 5, $"expected the built-in plug-ins' deps files, found {files.Length}");
        foreach (var file in files) PluginDepsFile.Check(file);
    }

    [Fact]
    public void A_well_formed_deps_file_reaches_the_loader()
    {
        // Passing the check, the folder fails later for its own reason (the assembly has no plug-in type): the native host read the file and returned.
        var folder = FakePlugin($"{{{Target}, \"targets\": {{\".NETCoreApp,Version=v10.0\": {{\"Acme.Deps/1.0.0\": {{\"runtime\": {{\"Acme.Deps.dll\": {{}}}}}}}}}}, {Library}}}");
        var failure = Assert.Single(new PluginCatalog().AddPluginFolder(folder).Failures);
        Assert.Contains("no public class implementing IConditionPlugin", failure.Message);
    }

    [Fact]
    public void Plugins_list_names_the_broken_plugin_and_its_file()
    {
        FakePlugin("{}");
        using var cli = new CliRunner();
        var (code, output, err) = cli.Run("plugins", "list", "--plugins", _dir["plugins"]);
        Assert.True(code == ExitCodes.Success, err);
        Assert.Contains("Acme.Deps.deps.json is malformed ('runtimeTarget' is missing)", output + err);
    }

    string FakePlugin(string depsJson)
    {
        var folder = Path.Combine(_dir["plugins"], "Acme.Deps");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "Acme.Deps.dll"), IntegrationTests.FakePluginPackages.AssemblyReferencingContract("Acme.Deps", ContractVersion.Current));
        File.WriteAllText(Path.Combine(folder, "Acme.Deps.deps.json"), depsJson);
        return folder;
    }
}
