namespace Deploycast.DistributionPoint.Sessions;

/// <summary>One session, for monitoring (addresses as strings, so it serialises as JSON as is).</summary>
/// <param name="Key">The scheduler's name for the session, "&lt;package&gt;-v&lt;version&gt;-t&lt;tier&gt;-&lt;n&gt;"; status messages carry it.</param>
/// <param name="SessionId">The sender's session id; 0 while waiting.</param>
/// <param name="PackageId">The package.</param>
/// <param name="Version">The package version.</param>
/// <param name="ContentId">The content sent.</param>
/// <param name="Tier">Multistream tier (0 is the fastest).</param>
/// <param name="GroupAddress">The group address.</param>
/// <param name="Port">The UDP port.</param>
/// <param name="Interface">The interface it sends on.</param>
/// <param name="State">Where it is.</param>
/// <param name="Encrypted">Whether it has a session key.</param>
/// <param name="MaxRate">Its rate ceiling in bits per second; <see langword="null"/>: dynamic.</param>
/// <param name="RateBitsPerSecond">The sender's rate from its latest report.</param>
/// <param name="Created">When its first request came.</param>
/// <param name="Started">When it started sending.</param>
/// <param name="Ended">When it ended or failed.</param>
/// <param name="Failure">Why it failed.</param>
/// <param name="Clients">Its clients, in the order they came.</param>
public sealed record SessionSnapshot(
    string Key,
    uint SessionId,
    string PackageId,
    int Version,
    string ContentId,
    int Tier,
    string GroupAddress,
    int Port,
    string Interface,
    MulticastSessionState State,
    bool Encrypted,
    long? MaxRate,
    double? RateBitsPerSecond,
    DateTimeOffset Created,
    DateTimeOffset? Started,
    DateTimeOffset? Ended,
    string? Failure,
    IReadOnlyList<SessionClientSnapshot> Clients)
{
    /// <summary>Bytes the sender has put on the wire so far, headers included (what multicast cost the network).</summary>
    public long BytesOnWire { get; init; }
}
