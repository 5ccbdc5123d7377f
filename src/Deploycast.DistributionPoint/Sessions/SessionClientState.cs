namespace Deploycast.DistributionPoint.Sessions;

/// <summary>Where a client is in its session. The first four are active (they count toward maximum clients); the rest are done.</summary>
public enum SessionClientState
{
    /// <summary>Waiting for a scheduled session to start.</summary>
    Waiting,

    /// <summary>Told to join; the sender has not heard from it yet.</summary>
    Joined,

    /// <summary>The sender hears it and it receives.</summary>
    Receiving,

    /// <summary>The sender found it slow; it still receives, subject to the slow-client policy.</summary>
    Slow,

    /// <summary>It has the whole package.</summary>
    Completed,

    /// <summary>Dismissed as slow; it downloads by unicast.</summary>
    FellBack,

    /// <summary>Dismissed as slow without unicast fallback, or moved to another multistream tier's session.</summary>
    Disconnected,

    /// <summary>It left the session without the whole package.</summary>
    Left,

    /// <summary>It stopped reporting, never reached the sender, or its session ended under it.</summary>
    Lost,
}
