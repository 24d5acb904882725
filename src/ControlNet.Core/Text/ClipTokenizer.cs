using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace ControlNet.Text;

/// <summary>
/// The CLIP BPE tokenizer of SD 1.x (REFERENCE §11), on Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> for the merges.
/// This class adds what the library lacks for CLIP: cleaning (whitespace collapse, lower case), CLIP's regex
/// pre-tokenisation, the byte-to-unicode map, BOS/EOS, padding to 77 with <c>&lt;|endoftext|&gt;</c>, truncation,
/// the long-prompt chunk convention and a <see cref="Decode"/> that restores word boundaries from <c>&lt;/w&gt;</c>.
/// ftfy's text repair is not applied (the reference ids were computed without it).
/// </summary>
public sealed partial class ClipTokenizer
{
    /// <summary>Id of &lt;|startoftext|&gt; in SD's 49,408-entry vocabulary; a custom vocabulary has its own (<see cref="BosId"/>).</summary>
    public const int StartOfTextId = 49406;
    /// <summary>Id of &lt;|endoftext|&gt; in SD's vocabulary; a custom vocabulary has its own (<see cref="EosId"/>).</summary>
    public const int EndOfTextId = 49407;
    /// <summary>SD pads with &lt;|endoftext|&gt; (HF CLIPTokenizer), not 0 as openai's clip.tokenize.</summary>
    public const int PadId = EndOfTextId;
    /// <summary>Sequence length the text encoder sees (max_position_embeddings).</summary>
    public const int ContextLength = 77;
    /// <summary>Content tokens per sequence: 77 minus BOS and EOS.</summary>
    public const int ChunkLength = ContextLength - 2;

    const string StartOfText = "<|startoftext|>";
    const string EndOfText = "<|endoftext|>";
    const string WordEnd = "</w>";

    readonly BpeTokenizer _bpe;
    readonly Dictionary<int, string> _idToToken;

    readonly IReadOnlyDictionary<string, int[]> _added = new Dictionary<string, int[]>();
    readonly Regex? _addedPattern;

    ClipTokenizer(BpeTokenizer bpe, Dictionary<int, string> idToToken, int bosId, int eosId)
    {
        _bpe = bpe;
        _idToToken = idToToken;
        BosId = bosId;
        EosId = eosId;
    }

    ClipTokenizer(ClipTokenizer source, IReadOnlyDictionary<string, int[]> added) : this(source._bpe, source._idToToken, source.BosId, source.EosId)
    {
        _added = added.ToDictionary(kv => kv.Key.ToLowerInvariant(), kv => kv.Value);
        // A name counts as a whole word (A1111 matches embedding names between word boundaries), longest first.
        _addedPattern = new Regex(@"(?<![\p{L}\p{N}_])(" + string.Join("|", _added.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)) + @")(?![\p{L}\p{N}_])",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    /// <summary>
    /// A copy that encodes each word in <paramref name="added"/> (e.g. a textual-inversion name) as its fixed ids instead
    /// of BPE; the ids are usually past the vocabulary (see <see cref="ClipTextEncoder.ExtraTokenEmbeddings"/>).
    /// </summary>
    public ClipTokenizer WithAddedTokens(IReadOnlyDictionary<string, int[]> added)
    {
        ArgumentNullException.ThrowIfNull(added);
        return added.Count == 0 ? this : new ClipTokenizer(this, added);
    }

    /// <summary>This vocabulary's &lt;|startoftext|&gt; id (49406 for SD; a tiny custom vocabulary, e.g. the toy model's, has its own).</summary>
    public int BosId { get; }

    /// <summary>This vocabulary's &lt;|endoftext|&gt; id, also used for padding (49407 for SD).</summary>
    public int EosId { get; }

    /// <summary>Loads <c>vocab.json</c> and <c>merges.txt</c> from a diffusers <c>tokenizer/</c> folder.</summary>
    public static ClipTokenizer FromFolder(string tokenizerFolder)
    {
        var vocab = Path.Combine(tokenizerFolder, "vocab.json");
        var merges = Path.Combine(tokenizerFolder, "merges.txt");
        foreach (var f in new[] { vocab, merges })
            if (!File.Exists(f))
                throw new FileNotFoundException($"CLIP tokenizer file '{f}' not found. Point to a diffusers 'tokenizer' folder holding vocab.json and merges.txt (e.g. from openai/clip-vit-large-patch14).", f);
        return FromFiles(vocab, merges);
    }

    /// <summary>
    /// Loads openai's original <c>bpe_simple_vocab_16e6.txt.gz</c> and rebuilds the vocabulary as CLIP's
    /// <c>SimpleTokenizer</c> does (<see cref="ClipVocabulary.FromOpenAiBpeText"/>).
    /// </summary>
    public static ClipTokenizer FromOpenAiBpe(string bpeGzPath)
    {
        if (!File.Exists(bpeGzPath))
            throw new FileNotFoundException($"CLIP BPE file '{bpeGzPath}' not found; expected openai's bpe_simple_vocab_16e6.txt.gz.", bpeGzPath);
        string text;
        using (var file = File.OpenRead(bpeGzPath))
        using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress))
        using (var reader = new StreamReader(gzip, System.Text.Encoding.UTF8))
            text = reader.ReadToEnd();
        return FromVocabulary(ClipVocabulary.FromOpenAiBpeText(text, bpeGzPath));
    }

    /// <summary>CLIP ViT-L/14's tokenizer from the vocabulary embedded in this library (SD 1.x's; used when a model brings none).</summary>
    public static ClipTokenizer Bundled() => FromVocabulary(ClipVocabulary.Bundled);

    /// <summary>A tokenizer over <paramref name="vocabulary"/>.</summary>
    public static ClipTokenizer FromVocabulary(ClipVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return Create(vocabulary.ToDictionary(), [.. vocabulary.Merges]);
    }

    /// <summary>Loads the two-file BPE tokenizer (vocab.json: token → id; merges.txt: "#version" header, then one merge per line).</summary>
    public static ClipTokenizer FromFiles(string vocabJsonPath, string mergesPath)
    {
        Dictionary<string, int> vocab;
        using (var stream = File.OpenRead(vocabJsonPath))
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(stream)
                ?? throw new InvalidDataException($"'{vocabJsonPath}' is not a JSON object of token → id.");
        // BOS/EOS come from the vocabulary itself, so a tiny custom vocabulary (the toy model's) works as well as SD's.
        if (!vocab.ContainsKey(StartOfText) || !vocab.ContainsKey(EndOfText))
            throw new InvalidDataException($"'{vocabJsonPath}' is not a CLIP vocabulary: it needs the entries {StartOfText} and {EndOfText} (49406 and 49407 in SD's).");

        var merges = File.ReadLines(mergesPath).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToList();
        return Create(vocab, merges);
    }

    static ClipTokenizer Create(Dictionary<string, int> vocab, List<string> merges)
    {
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            EndOfWordSuffix = WordEnd,
            // We pre-tokenise with CLIP's regex ourselves and hand over one word at a time; the library's default
            // pre-tokeniser would split the byte-mapped text again (e.g. at '¯', the stand-in of byte 0xAF).
            PreTokenizer = new RegexPreTokenizer(WholeInput(), specialTokens: null),
        };
        var bpe = BpeTokenizer.Create(options);
        return new ClipTokenizer(bpe, vocab.ToDictionary(kv => kv.Value, kv => kv.Key), vocab[StartOfText], vocab[EndOfText]);
    }

    /// <summary>Vocabulary size (49,408 for SD 1.x).</summary>
    public int VocabularySize => _idToToken.Count;

    /// <summary>The vocabulary entry of <paramref name="id"/> in the byte-mapped alphabet (e.g. "cat&lt;/w&gt;").</summary>
    public string TokenOf(int id) => _idToToken.TryGetValue(id, out var token)
        ? token
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id {id} is not in the vocabulary (0..{_idToToken.Count - 1}).");

    /// <summary>CLIP cleaning without ftfy: collapse whitespace runs to one space, trim, lower-case.</summary>
    public static string Clean(string text) => Whitespace().Replace(text, " ").Trim().ToLowerInvariant();

    /// <summary>BPE ids of the cleaned text, without BOS/EOS and without truncation.</summary>
    public int[] EncodeToIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_addedPattern is not null)
        {
            var withAdded = new List<int>();
            int at = 0;
            foreach (Match m in _addedPattern.Matches(text))
            {
                withAdded.AddRange(EncodeBpe(text[at..m.Index]));
                withAdded.AddRange(_added[m.Value.ToLowerInvariant()]);
                at = m.Index + m.Length;
            }
            withAdded.AddRange(EncodeBpe(text[at..]));
            return [.. withAdded];
        }
        return EncodeBpe(text);
    }

    int[] EncodeBpe(string text)
    {
        var ids = new List<int>();
        foreach (Match m in PreTokenizer().Matches(Clean(text)))
        {
            switch (m.Value)
            {
                case StartOfText: ids.Add(BosId); break;   // CLIP's BPE cache maps the specials to themselves
                case EndOfText: ids.Add(EosId); break;
                default: ids.AddRange(_bpe.EncodeToIds(ClipByteEncoding.Encode(m.Value))); break;
            }
        }
        return [.. ids];
    }

    /// <summary>The 77 ids SD's text encoder sees: BOS + first 75 BPE ids + EOS, padded with EOS (49407 for SD) (truncation=True, padding="max_length").</summary>
    public int[] Encode(string text)
    {
        var ids = EncodeToIds(text);
        return Frame(ids.AsSpan(0, Math.Min(ChunkLength, ids.Length)));
    }

    /// <summary>
    /// Long prompts, A1111/ComfyUI convention: the BPE ids split into 75-token chunks, each framed as
    /// [BOS] + chunk + [EOS] padded to 77; the encoder encodes each chunk and the hidden states are concatenated
    /// along the token axis ([B, 77·k, 768]). At least <paramref name="minimumChunks"/> chunks are returned (extra
    /// chunks encode the empty prompt), so a prompt and its negative can be given the same length.
    /// </summary>
    public int[][] EncodeChunks(string text, int minimumChunks = 1)
    {
        if (minimumChunks < 1)
            throw new ArgumentOutOfRangeException(nameof(minimumChunks), minimumChunks, "At least one chunk is always produced; pass 1 or more.");
        var ids = EncodeToIds(text);
        int count = Math.Max(minimumChunks, (ids.Length + ChunkLength - 1) / ChunkLength);
        var chunks = new int[count][];
        for (int c = 0; c < count; c++)
        {
            int start = Math.Min(c * ChunkLength, ids.Length);
            int length = Math.Min(ChunkLength, ids.Length - start);
            chunks[c] = Frame(ids.AsSpan(start, length));
        }
        return chunks;
    }

    /// <summary>
    /// <see cref="EncodeChunks"/> with A1111 emphasis: each <see cref="PromptEmphasis"/> piece is tokenised on its own and
    /// every token carries its piece's weight (BOS, EOS and padding weigh 1). Apply the weights to the encoder output
    /// with <see cref="ClipTextEncoder.ApplyEmphasis"/>. A prompt without brackets gives exactly <see cref="EncodeChunks"/>'s ids.
    /// </summary>
    public WeightedChunks EncodeWeightedChunks(string text, int minimumChunks = 1)
    {
        if (minimumChunks < 1)
            throw new ArgumentOutOfRangeException(nameof(minimumChunks), minimumChunks, "At least one chunk is always produced; pass 1 or more.");
        var ids = new List<int>();
        var weights = new List<float>();
        foreach (var piece in PromptEmphasis.Parse(text))
        {
            var pieceIds = EncodeToIds(piece.Text);
            ids.AddRange(pieceIds);
            weights.AddRange(Enumerable.Repeat((float)piece.Weight, pieceIds.Length));
        }
        int count = Math.Max(minimumChunks, (ids.Count + ChunkLength - 1) / ChunkLength);
        var idChunks = new int[count][];
        var weightChunks = new float[count][];
        for (int c = 0; c < count; c++)
        {
            int start = Math.Min(c * ChunkLength, ids.Count);
            int length = Math.Min(ChunkLength, ids.Count - start);
            idChunks[c] = Frame(ids.ToArray().AsSpan(start, length));
            weightChunks[c] = new float[ContextLength];
            Array.Fill(weightChunks[c], 1f);
            weights.CopyTo(start, weightChunks[c], 1, length);
        }
        return new WeightedChunks(idChunks, weightChunks);
    }

    /// <summary>Number of 77-token chunks <see cref="EncodeChunks"/> makes for <paramref name="text"/> (at least 1).</summary>
    public int ChunkCount(string text) => Math.Max(1, (EncodeToIds(text).Length + ChunkLength - 1) / ChunkLength);

    /// <summary>
    /// Text of the ids with word boundaries restored from the <c>&lt;/w&gt;</c> suffix (openai <c>SimpleTokenizer.decode</c>):
    /// "a photo of a cat" round-trips. Special tokens are dropped unless <paramref name="keepSpecialTokens"/>.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool keepSpecialTokens = false)
    {
        var mapped = new System.Text.StringBuilder();
        foreach (var id in ids)
        {
            if (!keepSpecialTokens && (id == BosId || id == EosId)) continue;
            if (!_idToToken.TryGetValue(id, out var token))
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in the vocabulary (0..{_idToToken.Count - 1}).");
            mapped.Append(token);
        }
        // Special tokens are plain ASCII, whose characters map to themselves in the byte table.
        return ClipByteEncoding.Decode(mapped.ToString()).Replace(WordEnd, " ").Trim();
    }

    int[] Frame(ReadOnlySpan<int> content)
    {
        if (content.Length > ChunkLength)
            throw new ArgumentException($"A chunk holds at most {ChunkLength} tokens, got {content.Length}.");
        var framed = new int[ContextLength];
        Array.Fill(framed, EosId);
        framed[0] = BosId;
        content.CopyTo(framed.AsSpan(1));
        framed[1 + content.Length] = EosId;
        return framed;
    }

    [GeneratedRegex(@"^[\s\S]+$")]
    private static partial Regex WholeInput();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // CLIP simple_tokenizer.py pattern (IGNORECASE); digits are single tokens.
    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase)]
    private static partial Regex PreTokenizer();
}
