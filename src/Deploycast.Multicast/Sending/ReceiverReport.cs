namespace Deploycast.Multicast.Sending;

/// <summary>One receiver as the sender last saw it (for summaries and monitoring).</summary>
public sealed record ReceiverReport(
    uint ReceiverId,
    string State,
    long BlocksDone,
    long TotalBlocks,
    double LongRunLoss,
    double RateBitsPerSecond,
    double RecentLoss,
    TimeSpan QueueDelay,
    TimeSpan? RoundTrip,
    bool Slow,
    TimeSpan? CompletedAfter);
