namespace ControlNet.Conditions.OpenPose;

/// <summary>The 38 part-affinity-field planes at image size (row-major <c>[H·W]</c> each): an x and a y plane per limb.</summary>
public sealed record PafField(int Width, int Height, float[][] Planes)
{
    public double this[int channel, int x, int y] => Planes[channel][y * Width + x];
}

/// <summary>
/// One detected person: the candidate of each of the 18 COCO keypoints (null = not found), the total score and the part count;
/// the hands' 21 points and the face's 70 landmarks when they were looked for and their box was found (null otherwise).
/// </summary>
public sealed record DetectedPerson(IReadOnlyList<PosePeak?> Keypoints, double Score, int PartCount)
{
    public IReadOnlyList<PartKeypoint?>? LeftHand { get; init; }
    public IReadOnlyList<PartKeypoint?>? RightHand { get; init; }
    public IReadOnlyList<PartKeypoint?>? Face { get; init; }

    /// <summary>The keypoints as the drawing takes them (pixel positions).</summary>
    public PosePerson ToPosePerson() => new(Keypoints.Select(k => k is { } p ? (p.X, p.Y) : ((double X, double Y)?)null).ToArray())
    {
        LeftHand = Points(LeftHand),
        RightHand = Points(RightHand),
        Face = Points(Face),
    };

    static (double X, double Y)?[]? Points(IReadOnlyList<PartKeypoint?>? points) =>
        points?.Select(k => k is { } p ? (p.X, p.Y) : ((double X, double Y)?)null).ToArray();
}

/// <summary>
/// Groups keypoint candidates into people with the part-affinity fields (CN annotator/openpose/body.py, after Cao et al.
/// 2017): for each of the 19 limbs, every pair of candidates is scored by sampling the limb's field at 10 points along the
/// segment and projecting on its direction; a pair is a connection when more than 80% of the samples exceed 0.05 and the
/// mean plus a length penalty <c>min(0.5·H/length − 1, 0)</c> is positive. Connections are taken greedily by score, each
/// candidate at most once per limb; limbs then join people that share an endpoint, merging two partial people when they
/// are disjoint. People with fewer than 4 parts or a mean score below 0.4 are dropped.
/// </summary>
public static class PafAssociation
{
    public const double Threshold = 0.05;
    public const int Samples = 10;

    /// <summary>The PAF x/y channel pair of each limb of <see cref="BodyPoseDrawing.LimbSeq"/> (reference mapIdx − 19).</summary>
    public static readonly (int X, int Y)[] LimbFields =
    [
        (12, 13), (20, 21), (14, 15), (16, 17), (22, 23), (24, 25), (0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11),
        (28, 29), (30, 31), (34, 35), (32, 33), (36, 37), (18, 19), (26, 27),
    ];

    /// <param name="peaks">the candidates of each of the 18 keypoints, ids consecutive across parts (as <see cref="HeatmapPeaks.Find"/> gives them)</param>
    /// <param name="paf">the fields at image size</param>
    public static IReadOnlyList<DetectedPerson> Group(IReadOnlyList<IReadOnlyList<PosePeak>> peaks, PafField paf)
    {
        var candidates = peaks.SelectMany(p => p).OrderBy(p => p.Id).ToArray();
        var limbs = BodyPoseDrawing.LimbSeq;
        var connections = new List<(int A, int B, double Score)>?[limbs.Length];
        for (int k = 0; k < limbs.Length; k++)
            connections[k] = Connect(peaks[limbs[k].A - 1], peaks[limbs[k].B - 1], paf, LimbFields[k]);

        // Rows: keypoint → candidate id (−1 = none), then the total score and the part count.
        var people = new List<(int[] Parts, double Score, int Count)>();
        double ScoreOf(int id) => candidates[id].Score;
        for (int k = 0; k < limbs.Length; k++)
        {
            if (connections[k] is not { } limb) continue;
            int a = limbs[k].A - 1, b = limbs[k].B - 1;
            foreach (var (idA, idB, s) in limb)
            {
                // The reference records at most two people sharing an endpoint (a third would be an index error there).
                var found = new List<int>(2);
                for (int j = 0; j < people.Count && found.Count < 2; j++)
                    if (people[j].Parts[a] == idA || people[j].Parts[b] == idB) found.Add(j);

                if (found.Count == 1 || (found.Count == 2 && Overlap(people[found[0]].Parts, people[found[1]].Parts)))
                {
                    // Extend the first person by end B (with two overlapping people the reference does so even when B is already there).
                    var p = people[found[0]];
                    if (found.Count == 2 || p.Parts[b] != idB)
                    {
                        p.Parts[b] = idB;
                        people[found[0]] = (p.Parts, p.Score + ScoreOf(idB) + s, p.Count + 1);
                    }
                }
                else if (found.Count == 2)
                {
                    // Two disjoint partial people joined by this limb: merge the second into the first.
                    var (p1, p2) = (people[found[0]], people[found[1]]);
                    for (int i = 0; i < 18; i++) if (p1.Parts[i] < 0) p1.Parts[i] = p2.Parts[i];
                    people[found[0]] = (p1.Parts, p1.Score + p2.Score + s, p1.Count + p2.Count);
                    people.RemoveAt(found[1]);
                }
                else if (k < 17) // the two ear–shoulder limbs never start a person
                {
                    var parts = Enumerable.Repeat(-1, 18).ToArray();
                    parts[a] = idA;
                    parts[b] = idB;
                    people.Add((parts, ScoreOf(idA) + ScoreOf(idB) + s, 2));
                }
            }
        }
        return people
            .Where(p => p.Count >= 4 && p.Score / p.Count >= 0.4)
            .Select(p => new DetectedPerson(p.Parts.Select(id => id < 0 ? (PosePeak?)null : candidates[id]).ToArray(), p.Score, p.Count))
            .ToList();
    }

    static bool Overlap(int[] p1, int[] p2) => Enumerable.Range(0, 18).Any(i => p1[i] >= 0 && p2[i] >= 0);

    /// <summary>The accepted connections of one limb, or null when either end has no candidate.</summary>
    static List<(int A, int B, double Score)>? Connect(IReadOnlyList<PosePeak> candA, IReadOnlyList<PosePeak> candB, PafField paf, (int X, int Y) field)
    {
        if (candA.Count == 0 || candB.Count == 0) return null;
        var scored = new List<(int I, int J, double Score)>();
        for (int i = 0; i < candA.Count; i++)
            for (int j = 0; j < candB.Count; j++)
            {
                var (a, b) = (candA[i], candB[j]);
                double vx = b.X - a.X, vy = b.Y - a.Y;
                double norm = Math.Max(0.001, Math.Sqrt(vx * vx + vy * vy));
                vx /= norm;
                vy /= norm;
                double sum = 0;
                int above = 0;
                for (int s = 0; s < Samples; s++)
                {
                    // np.linspace(a, b, 10), then Python round() (half to even, as Math.Round) to the nearest pixel.
                    double t = s / (double)(Samples - 1);
                    int x = (int)Math.Round(a.X + t * (b.X - a.X)), y = (int)Math.Round(a.Y + t * (b.Y - a.Y));
                    double score = paf[field.X, x, y] * vx + paf[field.Y, x, y] * vy;
                    sum += score;
                    if (score > Threshold) above++;
                }
                double withPrior = sum / Samples + Math.Min(0.5 * paf.Height / norm - 1, 0);
                if (above > 0.8 * Samples && withPrior > 0) scored.Add((i, j, withPrior));
            }
        var accepted = new List<(int A, int B, double Score)>();
        var usedA = new HashSet<int>();
        var usedB = new HashSet<int>();
        foreach (var (i, j, s) in scored.OrderByDescending(c => c.Score)) // stable, as Python's sorted(reverse=True)
        {
            if (usedA.Contains(i) || usedB.Contains(j)) continue;
            accepted.Add((candA[i].Id, candB[j].Id, s));
            usedA.Add(i);
            usedB.Add(j);
            if (accepted.Count >= Math.Min(candA.Count, candB.Count)) break;
        }
        return accepted;
    }
}
