using System.Net;

namespace Deploycast.Server;

/// <summary>What <c>deploycast server</c> is started with (command line; everything else comes from configuration).</summary>
public sealed record ServerOptions
{
    /// <summary>Address and port of the HTTPS API. Default 127.0.0.1:8443 (loopback: nothing is reachable from the network unless asked).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 8443);

    /// <summary>Data directory; null uses DistributionPoint:DataDirectory or its default.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Extra configuration (key → value, e.g. "DistributionPoint:AdminToken"), applied last.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();
}
