using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlNet.Server;

/// <summary>The JSON settings of the server's own API and of jobs stored in Redis: camelCase, nulls left out.</summary>
public static class ServerJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };
}
