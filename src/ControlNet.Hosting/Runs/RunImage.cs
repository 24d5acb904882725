namespace ControlNet.Hosting.Runs;

/// <summary>One generated image of a run, encoded: the PNG (with <paramref name="Metadata"/> in it), the seed it started from, and its text chunks.</summary>
public sealed record RunImage(byte[] Png, long Seed, IReadOnlyDictionary<string, string> Metadata);
