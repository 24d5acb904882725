namespace ControlNet.Generators.Tests;

public class GeneratorSmokeTests
{
    [Fact]
    public void Generator_assembly_targets_netstandard2_0()
    {
        var asm = typeof(ControlNet.Generators.Placeholder).Assembly;
        Assert.Contains(".NETStandard,Version=v2.0", asm.CustomAttributes.First(a => a.AttributeType.Name == "TargetFrameworkAttribute").ConstructorArguments[0].Value!.ToString());
    }
}
