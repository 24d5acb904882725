namespace ControlNet.Text;

/// <summary>Framed 77-token chunks and a per-token emphasis weight for each position (1 for BOS, EOS, padding).</summary>
public sealed record WeightedChunks(int[][] Ids, float[][] Weights)
{
    public int ChunkCount => Ids.Length;
}
