namespace ControlNet.Tests.Pipelines;

public class TokenizerVocabularyTests
{
    [Fact]
    public void A_tiny_custom_vocabulary_takes_bos_and_eos_from_its_entries()
    {
        var tokenizer = TinyModels.Tokenizer();
        Assert.Equal(512, tokenizer.BosId);
        Assert.Equal(513, tokenizer.EosId);
        var ids = tokenizer.Encode("ab");
        Assert.Equal(77, ids.Length);
        Assert.Equal(512, ids[0]);
        Assert.Equal(513, ids[3]);
        Assert.All(ids[3..], id => Assert.Equal(513, id));
        Assert.Equal("ab", tokenizer.Decode(ids));
    }
}
