namespace Deploycast.DistributionPoint.Status;

/// <summary>
/// Message ids of the distribution point's status messages (3001-3049). Each message is also logged, with event id
/// 3000 and the message id in the text.
/// </summary>
public static class StatusMessageIds
{
    /// <summary>A multicast session started sending (Informational).</summary>
    public const int SessionStarted = 3001;

    /// <summary>A client was told to join a session (Informational).</summary>
    public const int ClientJoined = 3002;

    /// <summary>A client received the whole package (Informational).</summary>
    public const int ClientCompleted = 3003;

    /// <summary>The sender found a client slow (Warning).</summary>
    public const int ClientSlow = 3004;

    /// <summary>A slow client was disconnected (auto-disconnect), with or without unicast fallback (Warning).</summary>
    public const int ClientDisconnected = 3005;

    /// <summary>A slow client was moved to a slower multistream tier (Warning).</summary>
    public const int ClientMovedToTier = 3006;

    /// <summary>A session ended (Informational).</summary>
    public const int SessionEnded = 3007;

    /// <summary>A session failed, or could not start (Error).</summary>
    public const int SessionFailed = 3008;

    /// <summary>A request was answered Busy: the distribution point has its maximum number of clients (Warning).</summary>
    public const int RequestBusy = 3009;

    /// <summary>A request was answered Busy: every group/port pair of the ranges is in use (Warning).</summary>
    public const int RangeExhausted = 3010;

    /// <summary>A client waits for a scheduled session to start (Informational).</summary>
    public const int ClientWaiting = 3011;

    /// <summary>A scheduled session was created and waits for clients or its start delay (Informational).</summary>
    public const int SessionScheduled = 3012;

    /// <summary>A client left its session without the whole package (Warning).</summary>
    public const int ClientLeft = 3013;

    /// <summary>A client stopped reporting, or never reached the sender (Warning).</summary>
    public const int ClientLost = 3014;

    /// <summary>A client was sent to unicast: multicast is disabled or the package does not allow it (Informational).</summary>
    public const int RequestUnicast = 3015;

    /// <summary>A request was refused: the package is multicast-only and cannot be served by multicast (Error).</summary>
    public const int RequestRefused = 3016;

    /// <summary>The distribution point's multicast settings are invalid; requests go to unicast (Error).</summary>
    public const int SettingsInvalid = 3017;

    /// <summary>The sender heard a client that had been told to join (Informational).</summary>
    public const int ClientReceiving = 3018;

    /// <summary>The group/port lock directory cannot be created or used; requests are answered Busy (Error).</summary>
    public const int LockDirectoryUnusable = 3019;

    /// <summary>
    /// A client restarted under the same receiver id (rebooted and asked again) and receives again; one that had
    /// completed, left or been lost counts as active again (Informational).
    /// </summary>
    public const int ClientRestarted = 3020;

    /// <summary>An administrator started a waiting scheduled session before its minimum size or start delay (Informational).</summary>
    public const int SessionStartedByAdministrator = 3021;
}
