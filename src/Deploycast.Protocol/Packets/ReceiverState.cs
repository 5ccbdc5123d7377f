namespace Deploycast.Protocol.Packets;

/// <summary>A receiver's state, reported in its status packets.</summary>
public enum ReceiverState : byte
{
    /// <summary>Has the session parameters and asks to be counted in.</summary>
    Joining = 1,

    /// <summary>Receiving blocks.</summary>
    Receiving = 2,

    /// <summary>Has written and verified the whole file.</summary>
    Complete = 3,

    /// <summary>Leaves the session without the whole file (cancelled or failed); the sender stops waiting for it.</summary>
    Left = 4,
}
