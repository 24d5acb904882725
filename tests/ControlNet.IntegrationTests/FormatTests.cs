namespace ControlNet.IntegrationTests;

/// <summary>The house style (.editorconfig) holds for the whole solution: CI counts `dotnet format --verify-no-changes` as a test.</summary>
public class FormatTests
{
    [Fact]
    public void Solution_is_formatted_as_dotnet_format_wants()
    {
        var r = ProcessRunner.Run("dotnet", "format Sdk.sln --verify-no-changes --no-restore -v:q", RepoPaths.Root, timeoutSeconds: 900);
        Assert.True(r.ExitCode == 0, $"dotnet format found changes to make (run 'dotnet format Sdk.sln' and commit):\n{r.All}");
    }
}
