namespace Deploycast.Multicast.Sending;

/// <summary>What happened to a receiver, as the sender saw it.</summary>
public enum ReceiverEventKind
{
    Joined,

    /// <summary>The receiver is alone in its slowness or loss; it no longer paces the group.</summary>
    Slow,
    Completed,
    Left,

    /// <summary>The receiver stopped reporting.</summary>
    Lost,

    /// <summary>The sender told the receiver to leave (<see cref="SenderSession.Dismiss"/>).</summary>
    Dismissed,

    /// <summary>
    /// A receiver the sender knew reported from a new run under the same id (its status sequence jumped back, or it
    /// receives again after it had completed or left): its record starts over and it is active again, unless it had
    /// been dismissed, which a restart does not undo.
    /// </summary>
    Restarted,
}

/// <summary>An event about one receiver; the distribution point's slow-client policy acts on <see cref="ReceiverEventKind.Slow"/>.</summary>
public sealed record ReceiverEvent(ReceiverEventKind Kind, uint ReceiverId, string Detail);
