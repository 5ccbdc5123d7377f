namespace Deploycast.DistributionPoint.Sessions;

/// <summary>One client of a session, for monitoring.</summary>
/// <param name="ClientId">The client's identity.</param>
/// <param name="ReceiverId">The receiver id the scheduler gave it in this session.</param>
/// <param name="State">Where it is.</param>
/// <param name="Progress">Fraction of blocks received, 0 to 1 (blocks done / total blocks from the sender's latest report).</param>
/// <param name="RateBitsPerSecond">Its receive rate from the latest report; <see langword="null"/> before the first.</param>
/// <param name="Loss">Its long-run packet loss, 0 to 1.</param>
/// <param name="AssignedAt">When it entered the session (asked to wait or told to join).</param>
/// <param name="JoinedAt">When the sender first heard from it.</param>
/// <param name="CompletedAt">When it had the whole package.</param>
/// <param name="FellBack">Whether it was dismissed to unicast.</param>
/// <param name="MovedToTier">The multistream tier it was moved to, if it was.</param>
/// <param name="Detail">The latest event about it, in the sender's words.</param>
public sealed record SessionClientSnapshot(
    string ClientId,
    uint ReceiverId,
    SessionClientState State,
    double Progress,
    double? RateBitsPerSecond,
    double Loss,
    DateTimeOffset AssignedAt,
    DateTimeOffset? JoinedAt,
    DateTimeOffset? CompletedAt,
    bool FellBack,
    int? MovedToTier,
    string? Detail);
