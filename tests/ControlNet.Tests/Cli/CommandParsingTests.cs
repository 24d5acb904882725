namespace ControlNet.Tests.Cli;

[Collection(nameof(ConsoleCollection))]
public class CommandParsingTests
{
    public static TheoryData<string> Commands() =>
    [
        "generate", "version", "inspect", "convert", "init", "transfer", "models", "models list", "models download",
        "preprocess", "plugins", "plugins list",
    ];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_has_help(string command)
    {
        using var cli = new CliRunner();
        var (code, output, err) = cli.Run([.. command.Split(' '), "--help"]);
        Assert.True(code == 0, err);
        Assert.Contains("USAGE", output);
        Assert.Contains("controlnet " + command.Split(' ')[0], output);
    }

    [Fact]
    public void Root_help_lists_generate()
    {
        using var cli = new CliRunner();
        var (code, output, _) = cli.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("generate", output);
    }

    [Theory]
    [InlineData("--width abc", "abc")]
    [InlineData("--no-such-option 1", "no-such-option")]
    [InlineData("--control canny", "TYPE:IMAGE")]
    [InlineData("--control canny:x.png:strength=high", "strength must be a number")]
    [InlineData("--config a.json --from b.png", "--config and --from")]
    [InlineData("--out image.jpg --model m", ".png")]
    [InlineData("--batch 0 --model m", "batch is 0")]
    [InlineData("--model m --control sobel:PHOTO", "'sobel'")]
    [InlineData("--model m --control canny:PHOTO:mode=loud", "Control mode 'loud'")]
    [InlineData("--model m --control canny:PHOTO:lowest=3", "no option 'lowest'")]
    [InlineData("--model m --steps 0", "Steps is 0")]
    [InlineData("--model m --device gpu", "Device is 'gpu'")]
    public void Bad_generate_arguments_exit_with_the_usage_code_and_name_the_problem(string args, string expected)
    {
        using var cli = new CliRunner();
        string[] given = args.Replace("PHOTO", CliRunner.Photo).Split(' ');
        var (code, _, err) = cli.Generate([.. given, "--quiet", .. given.Contains("--out") ? [] : new[] { "--out", cli.PathOf("o.png") }]);
        Assert.True(code == 2, $"exit {code}: {err}");
        Assert.Contains(expected, err);
        Assert.DoesNotContain(cli.Factory.Created, p => p.Calls > 0);   // nothing ran
    }

    [Fact]
    public void Init_random_defaults_to_sd15_and_names_an_unsupported_architecture()
    {
        Assert.True(new ControlNet.Cli.Commands.InitCommand.Settings { Random = true, Out = "sd.safetensors" }.Validate().Successful);
        var other = new ControlNet.Cli.Commands.InitCommand.Settings { Random = true, Out = "sd.safetensors", Arch = "sdxl" }.Validate();
        Assert.False(other.Successful);
        Assert.Contains("--arch 'sdxl'", other.Message);
    }
}
