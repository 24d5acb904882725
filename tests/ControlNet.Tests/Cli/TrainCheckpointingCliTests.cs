using ControlNet.Hosting;

namespace ControlNet.Tests.Cli;

/// <summary><c>controlnet train --gradient-checkpointing</c> trains on the shipped toy model (one step, toy data made by train-data).</summary>
[Collection(nameof(ConsoleCollection))]
public class TrainCheckpointingCliTests
{
    [Fact]
    public void Train_with_gradient_checkpointing_runs_a_step_and_writes_the_model()
    {
        using var cli = new CliRunner();
        var data = cli.PathOf("data");
        var run = cli.PathOf("run");
        var (code, _, err) = cli.Run("train-data", data, "--count", "4", "--size", "32", "--plugins", CliRunner.PluginFolder);
        Assert.True(code == 0, err);

        var toy = Path.Combine(AppContext.BaseDirectory, DefaultModel.RelativePath);
        (code, var output, err) = cli.Run("train", "--base", toy, "--data", data, "--output", run, "--steps", "1", "--batch-size", "2",
            "--sample-every", "0", "--adherence-count", "1", "--threads", "1", "--gradient-checkpointing", "--plugins", CliRunner.PluginFolder);
        Assert.True(code == 0, err + output);

        Assert.True(File.Exists(Path.Combine(run, "model", "controlnet-control.safetensors")), output);
        var rows = File.ReadAllLines(Path.Combine(run, "loss.csv")).Skip(1).ToList();
        Assert.Single(rows);
        double loss = double.Parse(rows[0].Split(',')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(double.IsFinite(loss) && loss > 0, rows[0]);
    }
}
