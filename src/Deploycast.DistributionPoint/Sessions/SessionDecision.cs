using System.Net;

namespace Deploycast.DistributionPoint.Sessions;

/// <summary>What a client is to do about its <see cref="SessionRequest"/>; the session fields are set for <see cref="SessionDecisionKind.Join"/> only.</summary>
public sealed record SessionDecision
{
    /// <summary>What to do.</summary>
    public required SessionDecisionKind Kind { get; init; }

    /// <summary>Why, as a sentence an administrator can read in the client's log.</summary>
    public required string Reason { get; init; }

    /// <summary>When to ask again (for <see cref="SessionDecisionKind.Wait"/> and <see cref="SessionDecisionKind.Busy"/>), in whole seconds.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Whether the client may download the package by unicast instead (false for a multicast-only package).</summary>
    public bool UnicastAllowed { get; init; }

    /// <summary>The sender's session id.</summary>
    public uint? SessionId { get; init; }

    /// <summary>The group address and UDP port to receive from.</summary>
    public IPEndPoint? Group { get; init; }

    /// <summary>The interface the distribution point sends on (the client joins the group on its own interface on that network).</summary>
    public IPAddress? Interface { get; init; }

    /// <summary>
    /// The receiver id the client's receiver must use (nonzero, unique in the session), so that the sender's events
    /// about it map back to this client. The same for retries of the same request.
    /// </summary>
    public uint? ReceiverId { get; init; }

    /// <summary>The 32-byte session key for an encrypted package, else <see langword="null"/>. Send it over HTTPS only.</summary>
    public byte[]? Key { get; init; }

    /// <summary>The multistream tier of the session (0 is the fastest, and the only tier without multistream).</summary>
    public int Tier { get; init; }
}
