using ControlNet.Adapters;
using ControlNet.Checkpoints;
using ControlNet.Pipelines;
using ControlNet.Runtime;
using ControlNet.Tests.Checkpoints;
using ControlNet.Tests.Pipelines;
using ControlNet.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace ControlNet.Tests.Adapters;

/// <summary>A1111 textual-inversion files (emb_params / string_to_param) used by name in the prompt.</summary>
public class TextualInversionTests
{
    public TextualInversionTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void The_name_becomes_its_vectors_and_only_those_tokens_change()
    {
        using var dir = new TempDir();
        manual_seed(4);
        var vectors = randn(2, 64);
        WeightsFile.Write(dir["mystyle.safetensors"], [new InMemoryTensorRef("emb_params", vectors)]);
        using var embedding = TextualInversion.Load(dir["mystyle.safetensors"]);
        Assert.Equal("mystyle", embedding.Name);

        var tokenizer = TinyModels.Tokenizer();
        using var encoder = TinyModels.TextEncoder();
        using (var active = TextualInversion.Activate([embedding], tokenizer, encoder))
        {
            var plain = tokenizer.EncodeToIds("a photo of");
            var ids = active.Tokenizer.EncodeToIds("a photo of MyStyle, cat");
            Assert.Equal(plain, ids[..plain.Length]);
            Assert.Equal(new[] { 514, 515 }, ids[plain.Length..(plain.Length + 2)]);   // past the 514-entry vocabulary
            Assert.Equal(tokenizer.EncodeToIds(", cat"), ids[(plain.Length + 2)..]);
            Assert.Equal(tokenizer.EncodeToIds("mystyles"), active.Tokenizer.EncodeToIds("mystyles"));   // whole words only

            // The token embedding layer: the vectors at the name's positions, the vocabulary's everywhere else.
            var layer = new ClipTextEmbeddings(TinyModels.TextConfig);
            var row = ClipTextEncoder.IdsTensor([ids]);
            var before = layer.call(ClipTextEncoder.IdsTensor([ids.Select(i => i >= 514 ? 0 : i).ToArray()]));
            layer.ExtraTokens = encoder.ExtraTokenEmbeddings;
            var after = layer.call(row);
            var changed = (after - before).abs().sum(-1)[0];   // [L]
            for (int p = 0; p < ids.Length; p++)
                Assert.Equal(ids[p] >= 514, changed[p].item<float>() > 0);
            var positions = layer.named_parameters().Single(x => x.name == "position_embedding.weight").parameter;
            Assert.True(after[0, plain.Length].allclose(vectors[0] + positions[plain.Length], atol: 1e-6));

            // The encoder's context: positions before the name are unchanged (causal attention), the name's differ.
            using var _ = no_grad();
            var withName = encoder.call(ClipTextEncoder.IdsTensor([active.Tokenizer.Encode("a photo of mystyle")]));
            encoder.ExtraTokenEmbeddings = null;
            var withoutName = encoder.call(ClipTextEncoder.IdsTensor([tokenizer.Encode("a photo of")]));
            encoder.ExtraTokenEmbeddings = cat([embedding.Vectors], 0);
            int prefix = 1 + plain.Length;   // BOS + "a photo of"
            Assert.True(withName[0, ..prefix].allclose(withoutName[0, ..prefix], atol: 1e-6));
            Assert.False(withName[0, prefix].allclose(withoutName[0, prefix], atol: 1e-4));
        }
        Assert.Null(encoder.ExtraTokenEmbeddings);   // cleared after the generation
    }

    [Fact]
    public void A_pipeline_prompt_uses_an_embedding_from_the_folder_and_leaves_the_model_as_it_was()
    {
        using var dir = new TempDir();
        manual_seed(5);
        Directory.CreateDirectory(dir["embeddings"]);
        WeightsFile.Write(Path.Combine(dir["embeddings"], "glow.safetensors"), [new InMemoryTensorRef("emb_params", randn(1, 64) * 3)]);
        using var pipeline = TinyModels.Pipeline(TinyModels.Tokenizer());
        var settings = new GenerationSettings { Prompt = "a glow square", Width = 16, Height = 16, Steps = 2, GuidanceScale = 5, Seed = 3 };
        var plain = pipeline.Generate(settings).Images[0].Data;
        var styled = pipeline.Generate(settings with { EmbeddingFolders = [dir["embeddings"]] }).Images[0].Data;
        Assert.NotEqual(plain, styled);
        Assert.Null(pipeline.Model.TextEncoder.ExtraTokenEmbeddings);
        Assert.Equal(plain, pipeline.Generate(settings).Images[0].Data);
    }
}
