namespace Deploycast.Protocol.Packets;

/// <summary>The message carried by a datagram. Values are part of the wire format (docs/protocol.md).</summary>
public enum PacketType : byte
{
    /// <summary>Sender to group: session parameters, state and progress, sent periodically.</summary>
    Announce = 1,

    /// <summary>Sender to group: one encoding symbol (source or parity) of one block.</summary>
    Data = 2,

    /// <summary>Receiver to sender (unicast): state, reception statistics and what it still needs.</summary>
    Status = 3,

    /// <summary>Sender to group: receivers whose completion the sender has recorded.</summary>
    Ack = 4,

    /// <summary>Sender to group: the session is over.</summary>
    End = 5,

    /// <summary>Sender to group: one receiver must leave (slow-client policy).</summary>
    Dismiss = 6,
}
