using System.Text.RegularExpressions;
using ControlNet.Hosting.Imaging;

namespace ControlNet.IntegrationTests;

public class PublishTests
{
    [Fact]
    public void Published_cli_for_linux_x64_starts_loads_libtorch_and_runs_the_root_help_examples()
    {
        var outDir = Path.Combine(Path.GetTempPath(), "controlnet-publish-" + Guid.NewGuid().ToString("N"));
        var work = Path.Combine(Path.GetTempPath(), "controlnet-examples-" + Guid.NewGuid().ToString("N"));
        try
        {
            var publish = ProcessRunner.Run("dotnet",
                $"publish src/ControlNet.Cli/ControlNet.Cli.csproj -r linux-x64 --self-contained false -o \"{outDir}\"");
            Assert.True(publish.ExitCode == 0, publish.All);

            var run = ProcessRunner.Run(Path.Combine(outDir, "controlnet"), "version", workingDirectory: outDir);
            Assert.True(run.ExitCode == 0, run.All);
            Assert.Contains("libtorch 2.10.0", run.StdOut);
            var version = ProcessRunner.Run(Path.Combine(outDir, "controlnet"), "--version", workingDirectory: outDir);
            Assert.True(version.ExitCode == 0, version.All);
            Assert.Matches(@"^\d+\.\d+\.\d+", version.StdOut.Trim());

            // The root help's examples, pasted into a shell where a checkout's samples/ are (the README's place).
            var help = ProcessRunner.Run(Path.Combine(outDir, "controlnet"), "--help", workingDirectory: outDir);
            Assert.True(help.ExitCode == 0, help.All);
            var examples = Examples(help.StdOut);
            Assert.NotEmpty(examples);
            Directory.CreateDirectory(work);
            Directory.CreateSymbolicLink(Path.Combine(work, "samples"), Path.Combine(RepoPaths.Root, "samples"));
            var path = new Dictionary<string, string> { ["PATH"] = outDir + ":" + Environment.GetEnvironmentVariable("PATH") };
            foreach (var example in examples)
            {
                File.WriteAllText(Path.Combine(work, "pasted.sh"), example + " --quiet\n");   // as typed into a shell
                var pasted = ProcessRunner.Run("bash", "pasted.sh", work, path, timeoutSeconds: 300);
                Assert.True(pasted.ExitCode == 0, $"'{example}' failed:\n{pasted.All}");
                var image = ImageFile.LoadRgb(Path.Combine(work, Regex.Match(example, @"--out (\S+)").Groups[1].Value));
                Assert.Equal((32, 32), (image.Width, image.Height));             // the toy model, the default
            }
        }
        finally
        {
            foreach (var dir in new[] { outDir, work })
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The EXAMPLES section of a help text, one command per example (Spectre wraps long ones at the console width).</summary>
    static string[] Examples(string help)
    {
        var lines = help.Split('\n').SkipWhile(l => !l.StartsWith("EXAMPLES:", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => l.Trim().Length > 0);
        var examples = new List<string>();
        foreach (var line in lines)
            if (line.TrimStart().StartsWith("controlnet ", StringComparison.Ordinal)) examples.Add(line.Trim());
            else examples[^1] += " " + line.Trim();
        return [.. examples];
    }
}
