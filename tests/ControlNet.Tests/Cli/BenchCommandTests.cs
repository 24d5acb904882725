using System.Text.Json;

namespace ControlNet.Tests.Cli;

/// <summary>`controlnet bench --json [FILE]`: a bare --json writes bench.json, --json FILE writes FILE (toy size, conv row only).</summary>
[Collection(nameof(ConsoleCollection))]
public class BenchCommandTests
{
    [Fact]
    public void Json_writes_the_report_to_the_named_file_or_bench_json()
    {
        using var cli = new CliRunner();
        var named = cli.PathOf("named.json");
        var (code, _, err) = cli.Run("bench", "--arch", "toy", "--quick", "--only", "conv", "--runs", "1", "--json", named);
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(File.ReadAllText(named)))
        {
            Assert.Equal("toy", doc.RootElement.GetProperty("architecture").GetString());
            var rows = doc.RootElement.GetProperty("measurements").EnumerateArray().ToList();
            Assert.NotEmpty(rows);
            Assert.All(rows, r => Assert.Equal("conv", r.GetProperty("group").GetString()));   // --only conv
            var conv = rows.First(r => r.GetProperty("id").GetString() == "conv.reference");
            Assert.True(conv.GetProperty("gflopPerSecond").GetDouble() > 0);
        }

        var previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = cli.Folder;
        try
        {
            (code, _, err) = cli.Run("bench", "--arch", "toy", "--quick", "--only", "conv", "--runs", "1", "--json");
            Assert.True(code == 0, err);
        }
        finally { Environment.CurrentDirectory = previous; }
        Assert.True(File.Exists(cli.PathOf("bench.json")), "a bare --json should write bench.json in the current folder");
    }
}
