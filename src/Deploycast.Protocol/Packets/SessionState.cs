namespace Deploycast.Protocol.Packets;

/// <summary>The sender's session state, announced to receivers.</summary>
public enum SessionState : byte
{
    /// <summary>Announcing and collecting receivers; no data flows yet.</summary>
    Waiting = 0,

    /// <summary>Sending data and repairs.</summary>
    Transferring = 1,
}
