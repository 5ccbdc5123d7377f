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
}

/// <summary>An event about one receiver; the distribution point's slow-client policy acts on <see cref="ReceiverEventKind.Slow"/>.</summary>
public sealed record ReceiverEvent(ReceiverEventKind Kind, uint ReceiverId, string Detail);
