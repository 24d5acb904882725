using ControlNet.Checkpoints;
using ControlNet.Text;
using static TorchSharp.torch;

namespace ControlNet.Adapters;

/// <summary>
/// An A1111 textual-inversion embedding: n learned token vectors [n, hidden] that stand for the file's name in prompts.
/// Reads A1111's <c>.pt</c> (<c>string_to_param["*"]</c>) and <c>.safetensors</c> (<c>emb_params</c>), and single-tensor files.
/// </summary>
public sealed class TextualInversion : IDisposable
{
    TextualInversion(string name, Tensor vectors)
    {
        Name = name;
        Vectors = vectors;
    }

    /// <summary>The file name without extension: the word that triggers it in a prompt.</summary>
    public string Name { get; }

    /// <summary>[n, hidden] float32.</summary>
    public Tensor Vectors { get; }

    public static TextualInversion Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Embedding '{path}' not found.", path);
        using var file = WeightsFile.Open(path);
        var candidates = file.Tensors.Where(t => t.Name == "emb_params" || t.Name.StartsWith("string_to_param", StringComparison.Ordinal)).ToList();
        if (candidates.Count == 0 && file.Tensors.Count(t => t.Shape.Length is 1 or 2) == 1) candidates = file.Tensors.Where(t => t.Shape.Length is 1 or 2).ToList();
        if (candidates.Count != 1)
            throw new InvalidDataException($"'{path}' is not a textual-inversion embedding: expected one 'emb_params' or 'string_to_param.*' tensor, found {string.Join(", ", file.Keys.Take(6))}.");
        var vectors = candidates[0].ToTensor(ScalarType.Float32);
        if (vectors.dim() == 1) vectors = vectors.unsqueeze(0);
        return new TextualInversion(Path.GetFileNameWithoutExtension(path), vectors);
    }

    /// <summary>
    /// The embeddings of <paramref name="folders"/> whose names occur in any of <paramref name="prompts"/> (whole words,
    /// case-insensitive, as A1111), loaded; other files are not read.
    /// </summary>
    public static List<TextualInversion> FindUsed(IEnumerable<string> folders, params string[] prompts)
    {
        var used = new List<TextualInversion>();
        foreach (var folder in folders.Where(Directory.Exists))
            foreach (var file in Directory.EnumerateFiles(folder).Where(f => Path.GetExtension(f).ToLowerInvariant() is ".pt" or ".safetensors" or ".bin").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                if (used.Any(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase))) continue;
                var word = new System.Text.RegularExpressions.Regex(@"(?<![\p{L}\p{N}_])" + System.Text.RegularExpressions.Regex.Escape(name) + @"(?![\p{L}\p{N}_])",
                    System.Text.RegularExpressions.RegexOptions.IgnoreCase);
                if (prompts.Any(p => word.IsMatch(p))) used.Add(Load(file));
            }
        return used;
    }

    /// <summary>
    /// Gives each embedding ids past the encoder's vocabulary, sets the encoder's extra vectors and returns the tokenizer
    /// that writes those ids for the names. Dispose the result to clear the encoder's extra vectors.
    /// </summary>
    public static Activation Activate(IReadOnlyList<TextualInversion> embeddings, ClipTokenizer tokenizer, ClipTextEncoder encoder)
    {
        int next = encoder.Config.VocabSize;
        var added = new Dictionary<string, int[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in embeddings)
        {
            if (e.Vectors.shape[1] != encoder.Config.HiddenSize)
                throw new InvalidDataException($"Embedding '{e.Name}' has vectors of width {e.Vectors.shape[1]} but the text encoder's is {encoder.Config.HiddenSize}; it was trained for another model (SD 1.x: 768).");
            added[e.Name] = Enumerable.Range(next, (int)e.Vectors.shape[0]).ToArray();
            next += (int)e.Vectors.shape[0];
        }
        encoder.ExtraTokenEmbeddings = embeddings.Count == 0 ? null : cat(embeddings.Select(e => e.Vectors).ToArray(), 0);   // [N, hidden]
        return new Activation(tokenizer.WithAddedTokens(added), encoder);
    }

    /// <summary>The tokenizer to use while the embeddings are active; disposing clears the encoder's extra vectors.</summary>
    public sealed class Activation(ClipTokenizer tokenizer, ClipTextEncoder encoder) : IDisposable
    {
        public ClipTokenizer Tokenizer { get; } = tokenizer;

        public void Dispose()
        {
            var extra = encoder.ExtraTokenEmbeddings;
            encoder.ExtraTokenEmbeddings = null;
            extra?.Dispose();
        }
    }

    public void Dispose() => Vectors.Dispose();
}
