namespace Deploycast.Multicast.Transport;

/// <summary>A receiver's progress, for display.</summary>
public sealed record ReceiverProgress(
    string Name,
    long FileSize,
    long BytesDone,
    long BytesResumed,
    bool Joined,
    bool Transferring,
    bool Verifying,
    double SenderRateBitsPerSecond,
    double Loss,
    long CorruptBlocks,
    long DroppedPackets);

/// <summary>How a receive ended. <see cref="Elapsed"/> runs from the first data packet (waiting for the sender is not counted).</summary>
public sealed record ReceiverResult(
    bool Succeeded,
    string? Failure,
    long FileSize,
    long BytesResumed,
    TimeSpan Elapsed,
    double Loss,
    long PacketsReceived,
    long CorruptBlocks,
    IReadOnlyDictionary<string, long> Drops,
    TimeSpan VerifyTime,
    long UnneededSymbols,
    bool Dismissed = false,
    bool FallBackToUnicast = false,
    TimeSpan WriteBehind = default);
