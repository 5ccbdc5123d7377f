using Deploycast.Multicast.Sending;

namespace Deploycast.DistributionPoint.Sessions;

/// <summary>
/// A running multicast session as the scheduler sees it. The scheduler calls it from one thread at a time, but not
/// always the same thread.
/// </summary>
public interface IMulticastSession : IDisposable
{
    /// <summary>The sender's session id, which receivers see in every packet.</summary>
    uint SessionId { get; }

    /// <summary>Whether the sender has ended (it failed, or stopped because it had no receivers left).</summary>
    bool IsFinished { get; }

    /// <summary>Why the sender failed; <see langword="null"/> while it runs and when it ended normally.</summary>
    string? Failure { get; }

    /// <summary>The receivers' latest reports; <see langword="null"/> before the first.</summary>
    SenderSummary? Snapshot { get; }

    /// <summary>Receiver events since the last call, oldest first.</summary>
    IReadOnlyList<ReceiverEvent> TakeEvents();

    /// <summary>
    /// Tells a receiver to leave the session. <paramref name="fallBackToUnicast"/> says whether it may download by
    /// unicast instead; either way the client may ask the distribution point again (which is how a client moved to
    /// another multistream tier finds its new session).
    /// </summary>
    void Dismiss(uint receiverId, bool fallBackToUnicast);

    /// <summary>Ends the session; receivers that are done have been acknowledged.</summary>
    void Stop();
}
