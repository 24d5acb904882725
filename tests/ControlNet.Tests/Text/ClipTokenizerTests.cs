using System.Text.Json;
using ControlNet.Tests.TestSupport;
using ControlNet.Text;

namespace ControlNet.Tests.Text;

public class ClipTokenizerTests
{
    static readonly Lazy<ClipTokenizer> Shared = new(() => ClipTokenizer.FromFolder(SharedData.PathOf("clip")));
    static ClipTokenizer Tokenizer => Shared.Value;

    public sealed record Case(string text, int[] bpe_ids, int[] ids77);

    public static IEnumerable<object[]> Cases()
    {
        var json = File.ReadAllText(SharedData.PathOf("clip", "tokenizer-cases.json"));
        var cases = JsonSerializer.Deserialize<Case[]>(json)!;
        return cases.Select((c, i) => new object[] { i, c.text });
    }

    static Case Load(int index)
        => JsonSerializer.Deserialize<Case[]>(File.ReadAllText(SharedData.PathOf("clip", "tokenizer-cases.json")))![index];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reference_case_gives_exactly_its_ids(int index, string text)
    {
        var expected = Load(index);
        Assert.Equal(text, expected.text);
        Assert.Equal(expected.bpe_ids, Tokenizer.EncodeToIds(text));
        Assert.Equal(expected.ids77, Tokenizer.Encode(text));
    }

    [Fact]
    public void Vocabulary_has_49408_entries()
    {
        Assert.Equal(49408, Tokenizer.VocabularySize);
    }

    [Fact]
    public void Decode_restores_word_boundaries_and_drops_specials()
    {
        Assert.Equal("a photo of a cat", Tokenizer.Decode(Tokenizer.Encode("A photo of a   cat")));
        Assert.Equal("naïve café — résumé", Tokenizer.Decode(Tokenizer.EncodeToIds("naïve café — résumé")));
        Assert.StartsWith("<|startoftext|>a photo ", Tokenizer.Decode(Tokenizer.Encode("a photo"), keepSpecialTokens: true));
    }

    [Fact]
    public void Long_prompts_are_truncated_to_75_or_split_into_framed_chunks()
    {
        var text = string.Join(' ', Enumerable.Repeat("cat", 100));   // "cat" is one token (2368)
        Assert.Equal(100, Tokenizer.EncodeToIds(text).Length);

        var truncated = Tokenizer.Encode(text);
        Assert.Equal(77, truncated.Length);
        Assert.Equal(ClipTokenizer.StartOfTextId, truncated[0]);
        Assert.All(truncated[1..76], id => Assert.Equal(2368, id));
        Assert.Equal(ClipTokenizer.EndOfTextId, truncated[76]);

        var chunks = Tokenizer.EncodeChunks(text);
        Assert.Equal(2, chunks.Length);
        Assert.Equal(truncated, chunks[0]);
        Assert.Equal(ClipTokenizer.StartOfTextId, chunks[1][0]);
        Assert.All(chunks[1][1..26], id => Assert.Equal(2368, id));
        Assert.All(chunks[1][26..], id => Assert.Equal(ClipTokenizer.EndOfTextId, id));   // EOS then padding

        var padded = Tokenizer.EncodeChunks("a cat", minimumChunks: 3);
        Assert.Equal(3, padded.Length);
        Assert.Equal(Tokenizer.Encode(""), padded[2]);
        Assert.Equal(2, Tokenizer.ChunkCount(text));
    }

    [Fact]
    public void The_original_openai_bpe_file_gives_the_same_tokenizer()
    {
        var fromGz = ClipTokenizer.FromOpenAiBpe(SharedData.PathOf("clip", "bpe_simple_vocab_16e6.txt.gz"));
        Assert.Equal(49408, fromGz.VocabularySize);
        var cases = JsonSerializer.Deserialize<Case[]>(File.ReadAllText(SharedData.PathOf("clip", "tokenizer-cases.json")))!;
        foreach (var c in cases) Assert.Equal(c.ids77, fromGz.Encode(c.text));
        var vocabJson = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(SharedData.PathOf("clip", "vocab.json")))!;
        Assert.All(vocabJson, kv => Assert.Equal(kv.Key, fromGz.TokenOf(kv.Value)));   // the whole vocabulary, id by id
    }
}
