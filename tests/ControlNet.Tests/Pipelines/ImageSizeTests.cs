using ControlNet.Hosting;
using ControlNet.Pipelines;

namespace ControlNet.Tests.Pipelines;

/// <summary>The size rule is one function; the host's validation states it in the same words as the pipeline.</summary>
public class ImageSizeTests
{
    [Theory]
    [InlineData(512, 8, null)]
    [InlineData(520, 8, null)]
    [InlineData(33, 1, null)]
    [InlineData(106, 4, "is 106; expected a positive multiple of 4 (the autoencoder's factor), e.g. 104.")]
    [InlineData(0, 8, "is 0; expected a positive multiple of 8 (the autoencoder's factor), e.g. 8.")]
    [InlineData(-16, 8, "is -16; expected a positive multiple of 8 (the autoencoder's factor), e.g. 8.")]
    public void A_side_fits_or_gets_the_nearest_size_that_does(long side, int multiple, string? problem) =>
        Assert.Equal(problem, ImageSize.Problem(side, multiple));

    [Fact]
    public void The_host_checks_the_same_rule_with_SDs_factor()
    {
        var errors = new List<string>();
        ControlNetOptionsValidator.ValidateDefaults(new GenerationSettings { Width = 500, Height = 512 }, errors, prefix: "Request ");
        Assert.Equal(["Request Width " + ImageSize.Problem(500, ImageSize.HostMultiple)], errors);
    }
}
