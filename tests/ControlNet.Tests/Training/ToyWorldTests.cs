using ControlNet.Toy;
using ControlNet.Training;

namespace ControlNet.Tests.Training;

public class ToyWorldTests
{
    [Fact]
    public void Toy_tokenizer_encodes_prompts_word_by_word_with_clip_specials()
    {
        var tokenizer = ToyFixture.Tokenizer;
        var ids = tokenizer.Encode("red circle on blue background");
        Assert.Equal(49406, ids[0]);
        Assert.Equal(5 + 2, ids.TakeWhile(id => id != 49407).Count() + 1);                      // BOS + 5 words + EOS
        Assert.Equal("red circle on blue background", tokenizer.Decode(ids));
        Assert.True(tokenizer.VocabularySize < 700, $"toy vocabulary has {tokenizer.VocabularySize} entries");
    }

    [Fact]
    public void Generated_examples_match_their_prompt_and_mask()
    {
        foreach (var e in ToyWorld.Generate(20, seed: 4))
        {
            Assert.Equal(ToyWorld.Prompt(e.Shape, e.Color, e.Background), e.Prompt);
            Assert.NotEqual(e.Color, e.Background);
            var (r, g, b) = ToyWorld.Colors[e.Color];
            int inside = Array.IndexOf(e.Mask, (byte)255);
            Assert.Equal(new[] { r, g, b }, e.Rgb.AsSpan(3 * inside, 3).ToArray());
            Assert.Equal(1.0, ShapeAdherence.Iou(e.Rgb, e.Mask, e.Size), 3);                       // the picture adheres to its own shape
        }
    }

    [Fact]
    public void Adherence_of_a_misplaced_shape_is_low()
    {
        var examples = ToyWorld.Generate(40, seed: 5);
        var ious = examples.Zip(examples.Skip(1), (a, b) => ShapeAdherence.Iou(b.Rgb, a.Mask, a.Size)).ToList();
        Assert.True(ious.Average() < 0.4, $"mean IoU of unrelated pairs {ious.Average()}");
    }
}
