using System.Text;
using System.Text.Json.Nodes;

namespace ControlNet.Tests.Fuzz;

/// <summary>
/// Structural mutations of a JSON seed, for readers that trust the file's shape more than its bytes: members removed,
/// renamed to another known key, or replaced by a value of another type; one input in four gets the byte mutations of
/// <see cref="Mutator"/> instead. Deterministic for a given <see cref="Mutator"/>.
/// </summary>
static class JsonMutator
{
    static readonly JsonNode?[] Values =
    [
        JsonValue.Create(5), JsonValue.Create("x"), JsonValue.Create(""), JsonValue.Create(true), null, new JsonObject(), new JsonArray(),
        JsonValue.Create(1e300), JsonValue.Create("a/b/c"), JsonValue.Create("../../x"), JsonValue.Create("/abs"), JsonValue.Create("linux-x64"),
    ];

    public static byte[] Mutate(Mutator mutator, byte[] seed, IReadOnlyList<string> keys)
    {
        var random = mutator.Random;
        if (random.Next(4) == 0) return mutator.Mutate(seed, text: true);
        var root = JsonNode.Parse(seed)!;
        for (var round = 0; round < 1 + random.Next(4); round++)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            var node = nodes[random.Next(nodes.Count)];
            if (node is JsonObject obj && obj.Count > 0 && random.Next(2) == 0)
            {
                var key = obj.ElementAt(random.Next(obj.Count)).Key;
                switch (random.Next(4))
                {
                    case 0: obj.Remove(key); break;
                    case 1: obj[key] = Values[random.Next(Values.Length)]?.DeepClone(); break;
                    case 2:
                        var moved = obj[key]?.DeepClone();
                        obj.Remove(key);
                        obj[keys[random.Next(keys.Count)]] = moved;
                        break;
                    default: obj[keys[random.Next(keys.Count)]] = Values[random.Next(Values.Length)]?.DeepClone(); break;
                }
            }
            else if (node.Parent is JsonObject parent)
                parent[parent.First(kv => ReferenceEquals(kv.Value, node)).Key] = Values[random.Next(Values.Length)]?.DeepClone();
        }
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    static void Collect(JsonNode? node, List<JsonNode> into)
    {
        if (node is null) return;
        into.Add(node);
        if (node is JsonObject o) foreach (var kv in o) Collect(kv.Value, into);
        if (node is JsonArray a) foreach (var v in a) Collect(v, into);
    }
}
