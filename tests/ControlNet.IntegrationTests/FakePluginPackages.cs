using System.IO.Compression;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text;

namespace ControlNet.IntegrationTests;

/// <summary>
/// Writes small plug-in packages into a folder feed for the installer tests (also linked into ControlNet.Tests for the
/// killed-install test): a real (empty) assembly whose only
/// interesting metadata is its reference to ControlNet.Abstractions at a chosen contract version, plus a manifest.
/// </summary>
internal static class FakePluginPackages
{
    public static string Write(string feed, string id, string version, string manifestContract, Version? compiledContract = null, bool withManifest = true, int nativeBytes = 0)
    {
        Directory.CreateDirectory(feed);
        var path = Path.Combine(feed, $"{id}.{version}.nupkg");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        Add(zip, $"{id}.nuspec", $"""
            <?xml version="1.0" encoding="utf-8"?>
            <package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
              <metadata>
                <id>{id}</id>
                <version>{version}</version>
                <authors>tests</authors>
                <description>A fake ControlNet plug-in package.</description>
                <tags>controlnet-plugin</tags>
              </metadata>
            </package>
            """);
        if (withManifest)
            Add(zip, "controlnet-plugin.json",
                $$"""{ "format": 1, "id": "{{id}}", "version": "{{version}}", "assembly": "{{id}}", "contract": "{{manifestContract}}", "targetFramework": "net10.0" }""");
        var contract = compiledContract ?? Version.Parse(manifestContract);
        AddBytes(zip, $"controlnet-plugin/{id}.dll", AssemblyReferencingContract(id, contract));
        Add(zip, $"controlnet-plugin/{id}.deps.json", "{}");
        // A large native file (random, so deflate cannot shrink it) makes extraction take long enough to be killed in.
        AddBytes(zip, "controlnet-plugin/runtimes/linux-x64/native/libacme.so", nativeBytes == 0 ? "native"u8.ToArray() : RandomBytes(nativeBytes));
        return path;
    }

    static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(count).NextBytes(bytes);
        return bytes;
    }

    static void Add(ZipArchive zip, string name, string text) => AddBytes(zip, name, Encoding.UTF8.GetBytes(text));

    static void AddBytes(ZipArchive zip, string name, byte[] bytes)
    {
        using var s = zip.CreateEntry(name).Open();
        s.Write(bytes);
    }

    /// <summary>A library with no types but &lt;Module&gt; that references ControlNet.Abstractions <paramref name="contract"/>.</summary>
    internal static byte[] AssemblyReferencingContract(string name, Version contract)
    {
        var md = new MetadataBuilder();
        md.AddModule(0, md.GetOrAddString(name + ".dll"), md.GetOrAddGuid(Guid.NewGuid()), default, default);
        md.AddAssembly(md.GetOrAddString(name), new Version(1, 0, 0, 0), default, default, default, AssemblyHashAlgorithm.Sha1);
        md.AddAssemblyReference(md.GetOrAddString("ControlNet.Abstractions"), new Version(contract.Major, contract.Minor, 0, 0), default, default, default, default);
        md.AddTypeDefinition(default, default, md.GetOrAddString("<Module>"), default,
            MetadataTokens.FieldDefinitionHandle(1), MetadataTokens.MethodDefinitionHandle(1));
        var pe = new ManagedPEBuilder(PEHeaderBuilder.CreateLibraryHeader(), new MetadataRootBuilder(md), new BlobBuilder());
        var blob = new BlobBuilder();
        pe.Serialize(blob);
        return blob.ToArray();
    }
}
