using System.Reflection;
using System.Runtime.Loader;
using ControlNet.Models;
using Microsoft.CodeAnalysis;

namespace ControlNet.Generators.Tests;

/// <summary>
/// The generated code compiles and loads (tier 3). Executing generated modules needs native libtorch, which this project
/// does not copy; ControlNet.Tests/Models runs the modules Core generates with the same generator (Sd15*, Toy*).
/// </summary>
public class CompileTests
{
    [Theory]
    [InlineData(SnapshotTests.Tiny)]
    [InlineData(SnapshotTests.Sd15)]
    public void Generated_code_compiles_without_warnings_and_implements_the_interfaces(string source)
    {
        var (_, output) = GeneratorHarness.Run(source);
        using var pe = new MemoryStream();
        var emit = output.Emit(pe);
        var problems = emit.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(emit.Success && problems.Count == 0, string.Join("\n", problems));

        var context = new AssemblyLoadContext("generated", isCollectible: true);
        try
        {
            var asm = context.LoadFromStream(new MemoryStream(pe.ToArray()));
            var unet = asm.GetTypes().Single(t => typeof(IUNet).IsAssignableFrom(t));
            var controlNet = asm.GetTypes().Single(t => typeof(IControlNet).IsAssignableFrom(t));
            Assert.True(typeof(TorchSharp.torch.nn.Module).IsAssignableFrom(unet));
            var arch = (UNetArchitecture)unet.GetProperty("Architecture", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            Assert.Same(arch.Validate(), arch);
            Assert.Equal(arch, controlNet.GetProperty("Architecture", BindingFlags.Public | BindingFlags.Static)!.GetValue(null));
            Assert.NotNull(unet.GetConstructor([typeof(TorchSharp.torch.Device), typeof(TorchSharp.torch.ScalarType?)]));
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void A_third_party_can_declare_the_controlnet_of_a_unet_from_another_assembly()
    {
        var (result, output) = GeneratorHarness.Run("""
            [ControlNet.Models.ControlNetDescription(typeof(ControlNet.Models.Sd15UNet))]
            public partial class MyCanny { }
            """);
        Assert.Empty(result.Diagnostics);
        Assert.Equal("MyCanny.ControlNet.g.cs", Assert.Single(result.GeneratedSources).HintName);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Contains("zero_convs = new", Assert.Single(result.GeneratedSources).SourceText.ToString());
    }
}
