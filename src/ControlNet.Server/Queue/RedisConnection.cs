using StackExchange.Redis;

namespace ControlNet.Server.Queue;

/// <summary>The connection settings for --redis HOST:PORT: reconnect rather than fail when Redis restarts or starts late.</summary>
public static class RedisConnection
{
    public static ConfigurationOptions Configuration(string hostPort)
    {
        var options = ConfigurationOptions.Parse(hostPort);
        options.AbortOnConnectFail = false;
        options.ConnectRetry = 5;
        return options;
    }
}
