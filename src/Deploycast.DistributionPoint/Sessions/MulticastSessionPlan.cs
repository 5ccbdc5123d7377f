using System.Net;

namespace Deploycast.DistributionPoint.Sessions;

/// <summary>What a multicast session is to send, where and how; the scheduler's order to <see cref="IMulticastSessionFactory"/>.</summary>
/// <param name="Content">The package content to send.</param>
/// <param name="Tier">Multistream tier: 0 is the fastest (and the only tier without multistream).</param>
/// <param name="Interface">The interface to send on.</param>
/// <param name="Group">The group address and UDP port, leased for this session.</param>
/// <param name="MaxRate">Rate ceiling in bits per second; <see langword="null"/>: dynamic without a ceiling.</param>
/// <param name="MinReceivers">Receivers the sender waits for before it sends data.</param>
/// <param name="MaxWait">The longest the sender waits for <paramref name="MinReceivers"/> before it starts anyway.</param>
/// <param name="Key">The 32-byte AES-256-GCM session key when the package is encrypted, else <see langword="null"/>.</param>
public sealed record MulticastSessionPlan(
    PackageContentRef Content,
    int Tier,
    IPAddress Interface,
    IPEndPoint Group,
    long? MaxRate,
    int MinReceivers,
    TimeSpan MaxWait,
    byte[]? Key);
