namespace Deploycast.DistributionPoint.Sessions;

/// <summary>The scheduler's answer to a <see cref="SessionRequest"/>.</summary>
public enum SessionDecisionKind
{
    /// <summary>Join the session described in the decision now.</summary>
    Join,

    /// <summary>A scheduled session is not started yet: ask again after <see cref="SessionDecision.RetryAfter"/>.</summary>
    Wait,

    /// <summary>
    /// No multicast capacity now (maximum clients, or no free group address and port): ask again after
    /// <see cref="SessionDecision.RetryAfter"/>, or download by unicast when <see cref="SessionDecision.UnicastAllowed"/>.
    /// </summary>
    Busy,

    /// <summary>Download by unicast (multicast is disabled, the package does not allow it, or the client was disconnected as slow).</summary>
    Unicast,

    /// <summary>Nothing can serve this client: the package is multicast-only and multicast cannot serve it.</summary>
    Refused,
}
