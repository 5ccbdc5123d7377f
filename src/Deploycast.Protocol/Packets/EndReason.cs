namespace Deploycast.Protocol.Packets;

/// <summary>Why the sender ended a session.</summary>
public enum EndReason : byte
{
    /// <summary>Every receiver that joined has the whole file.</summary>
    Completed = 0,

    /// <summary>The sender was stopped by its operator.</summary>
    Cancelled = 1,

    /// <summary>The sender failed (for example, the source file could not be read).</summary>
    Failed = 2,
}
