using ControlNet.Abstractions;
using ControlNet.Conditions.Canny;
using ControlNet.Hosting.Plugins;

namespace ControlNet.Tests.Plugins;

public sealed class PluginLoadingTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "cn-plugins-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    string PluginFolder(string name) => Path.Combine(_root, "plugins", name);

    [Fact]
    public void A_plugin_compiled_into_a_folder_is_discovered_and_runs()
    {
        PluginCompiler.Compile("Acme.Invert", PluginCompiler.PluginSource("Acme.Invert", "invert"), PluginFolder("Acme.Invert"));
        var catalog = new PluginCatalog().AddFolder(Path.Combine(_root, "plugins"));

        Assert.Empty(catalog.Failures);
        var loaded = Assert.Single(catalog.Plugins);
        Assert.Equal("invert", loaded.Plugin.Id);
        Assert.Equal(PluginFolder("Acme.Invert"), loaded.Source);
        Assert.Equal(ContractVersion.Current, loaded.Plugin.TargetContract);
        Assert.IsType<HintEncoderSpec.Standard>(loaded.Plugin.HintEncoder);
        Assert.Equal("weights.bin", Assert.Single(loaded.Plugin.ModelFiles).Name);
        // The plug-in's types are the host's contract types (shared load context), and it runs.
        var (_, pre) = catalog.FindPreprocessor("invert");
        Assert.Equal("offset", Assert.Single(pre.Options).Name);
        var map = pre.Run(PreprocessorSource.From(ConditionImage.Gray(2, 1, [0, 200])), new Dictionary<string, string> { ["offset"] = "5" });
        Assert.Equal(new byte[] { 255, 255, 255, 60, 60, 60 }, map.Data);
    }

    [Fact]
    public void Wrong_contract_version_and_missing_dependency_are_reported_by_name_and_the_others_still_load()
    {
        // Good plug-in.
        PluginCompiler.Compile("Acme.Good", PluginCompiler.PluginSource("Acme.Good", "good"), PluginFolder("Acme.Good"));
        // Built against a future contract 2.0.
        PluginCompiler.Compile("Acme.Future", PluginCompiler.PluginSource("Acme.Future", "future",
            "public override Version TargetContract => new Version(2, 0);"), PluginFolder("Acme.Future"));
        // Depends on Acme.Helpers, which was not copied next to it.
        var helpers = PluginCompiler.Compile("Acme.Helpers", "namespace Acme.Helpers; public static class Help { public static string Name => \"helper\"; }",
            Path.Combine(_root, "elsewhere"));
        PluginCompiler.Compile("Acme.Broken", PluginCompiler.PluginSource("Acme.Broken", "broken",
            "public string Helper { get; } = Acme.Helpers.Help.Name;"), PluginFolder("Acme.Broken"), helpers);
        // A folder without its assembly.
        Directory.CreateDirectory(PluginFolder("Acme.Empty"));

        var catalog = new PluginCatalog().AddFolder(Path.Combine(_root, "plugins"));

        Assert.Equal("good", Assert.Single(catalog.Plugins).Plugin.Id);
        Assert.Equal(3, catalog.Failures.Count);
        var future = Assert.Single(catalog.Failures, f => f.Name == "Acme.Future");
        Assert.Contains("contract 2.0", future.Message);
        Assert.Contains($"contract {ContractVersion.Major}.{ContractVersion.Minor}", future.Message);
        var broken = Assert.Single(catalog.Failures, f => f.Name == "Acme.Broken");
        Assert.Contains("Plug-in 'Acme.Broken'", broken.Message);
        Assert.Contains("Acme.Helpers", broken.Message);
        var empty = Assert.Single(catalog.Failures, f => f.Name == "Acme.Empty");
        Assert.Contains("Acme.Empty.dll", empty.Message);
        // Asking for a failed plug-in names the failures too.
        var e = Assert.Throws<KeyNotFoundException>(() => catalog.FindPreprocessor("future"));
        Assert.Contains("Known preprocessors: good", e.Message);
        Assert.Contains("contract 2.0", e.Message);
    }

    [Fact]
    public void A_plugin_that_throws_in_its_constructor_or_contract_is_named_and_the_others_still_load()
    {
        PluginCompiler.Compile("Acme.Good", PluginCompiler.PluginSource("Acme.Good", "good"), PluginFolder("Acme.Good"));
        PluginCompiler.Compile("Acme.Ctor", PluginCompiler.PluginSource("Acme.Ctor", "ctor",
            "public InvertPlugin() { throw new InvalidOperationException(\"ctor boom\"); }"), PluginFolder("Acme.Ctor"));
        PluginCompiler.Compile("Acme.Contract", PluginCompiler.PluginSource("Acme.Contract", "contract",
            "public override Version TargetContract => throw new InvalidOperationException(\"contract boom\");"), PluginFolder("Acme.Contract"));

        var catalog = new PluginCatalog().AddFolder(Path.Combine(_root, "plugins"));

        Assert.Equal("good", Assert.Single(catalog.Plugins).Plugin.Id);
        Assert.Contains("Acme.Ctor", Assert.Single(catalog.Failures, f => f.Name == "Acme.Ctor").Message);
        Assert.Contains("Acme.Contract", Assert.Single(catalog.Failures, f => f.Name == "Acme.Contract").Message);
    }

    [Fact]
    public void A_plugin_whose_Id_or_Preprocessors_getter_throws_is_named_and_the_others_still_load()
    {
        PluginCompiler.Compile("Acme.Good", PluginCompiler.PluginSource("Acme.Good", "good"), PluginFolder("Acme.Good"));
        PluginCompiler.Compile("Acme.BadId", PluginCompiler.BrokenPluginSource("Acme.BadId", "badid", "Id",
            "public override string Id => throw new InvalidOperationException(\"id boom\");"), PluginFolder("Acme.BadId"));
        PluginCompiler.Compile("Acme.BadList", PluginCompiler.BrokenPluginSource("Acme.BadList", "badlist", PluginCompiler.PreprocessorsMember,
            "public override IReadOnlyList<IPreprocessor> Preprocessors => throw new NullReferenceException();"), PluginFolder("Acme.BadList"));

        var catalog = new PluginCatalog().AddFolder(Path.Combine(_root, "plugins"));

        Assert.Equal("good", Assert.Single(catalog.Plugins).Plugin.Id);
        var badId = Assert.Single(catalog.Failures, f => f.Source == PluginFolder("Acme.BadId"));
        Assert.Contains("Acme.BadId.InvertPlugin", badId.Message);
        Assert.Contains("reading Id threw InvalidOperationException (id boom)", badId.Message);
        var badList = Assert.Single(catalog.Failures, f => f.Source == PluginFolder("Acme.BadList"));
        Assert.Contains("reading Preprocessors threw NullReferenceException", badList.Message);
        // Every command that lists or looks up preprocessors still works and names the broken ones.
        Assert.Equal("good", catalog.FindPreprocessor("good").Preprocessor.Id);
        var e = Assert.Throws<KeyNotFoundException>(() => catalog.FindPreprocessor("badlist"));
        Assert.Contains("Acme.BadList", e.Message);
    }

    [Fact]
    public void A_preprocessor_that_throws_while_running_is_named_and_contained()
    {
        PluginCompiler.Compile("Acme.Crash", PluginCompiler.BrokenPluginSource("Acme.Crash", "crash", PluginCompiler.RunBody,
            "string? nothing = null; var img = source.RequireImage(nothing!.Trim()).ToRgb8();"), PluginFolder("Acme.Crash"));
        var catalog = new PluginCatalog().AddFolder(Path.Combine(_root, "plugins"));
        var (_, pre) = catalog.FindPreprocessor("crash");

        var e = Assert.Throws<InvalidOperationException>(() =>
            PreprocessorGuard.Run(pre, PreprocessorSource.From(ConditionImage.Gray(2, 1, [0, 200])), new Dictionary<string, string>()));

        Assert.StartsWith("Preprocessor 'crash' (Acme.Crash) failed on a ", e.Message);
        Assert.Contains("NullReferenceException", e.Message);
        Assert.Contains("report it to the plug-in's author", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Relative_folders_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new PluginCatalog().AddFolder("plugins"));
        Assert.Contains("absolute", e.Message);
        Assert.Throws<ArgumentException>(() => PluginFolderLoader.Load("plugins/Acme"));
    }

    [Fact]
    public void Explicit_registration_and_duplicate_ids()
    {
        var catalog = new PluginCatalog().Add<CannyPlugin>().Add(new CannyPlugin(), "second");
        Assert.Equal("canny", Assert.Single(catalog.Plugins).Plugin.Id);
        Assert.Contains("already provided", Assert.Single(catalog.Failures).Message);
        Assert.Equal("canny", catalog.FindPreprocessor("canny").Preprocessor.Id);
        Assert.Same(catalog.Plugins[0].Plugin, catalog.Get("CANNY"));
    }

    [Fact]
    public void Contract_assembly_version_is_the_contract_version()
    {
        var v = typeof(IConditionPlugin).Assembly.GetName().Version!;
        Assert.Equal((ContractVersion.Major, ContractVersion.Minor), (v.Major, v.Minor));
        Assert.Equal(ContractVersion.Current, new CannyPlugin().TargetContract);
        Assert.True(ContractVersion.IsCompatible(new Version(1, 0)));
        Assert.False(ContractVersion.IsCompatible(new Version(1, ContractVersion.Minor + 1)));
        Assert.False(ContractVersion.IsCompatible(new Version(0, 9)));
    }
}
