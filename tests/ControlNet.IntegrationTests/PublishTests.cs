namespace ControlNet.IntegrationTests;

public class PublishTests
{
    [Fact]
    public void Published_cli_for_linux_x64_starts_and_loads_libtorch()
    {
        var outDir = Path.Combine(Path.GetTempPath(), "controlnet-publish-" + Guid.NewGuid().ToString("N"));
        try
        {
            var publish = ProcessRunner.Run("dotnet",
                $"publish src/ControlNet.Cli/ControlNet.Cli.csproj -r linux-x64 --self-contained false -o \"{outDir}\"");
            Assert.True(publish.ExitCode == 0, publish.All);

            var run = ProcessRunner.Run(Path.Combine(outDir, "controlnet"), "version", workingDirectory: outDir);
            Assert.True(run.ExitCode == 0, run.All);
            Assert.Contains("libtorch 2.10.0", run.StdOut);
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }
}
