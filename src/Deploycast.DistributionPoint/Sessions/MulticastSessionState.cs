namespace Deploycast.DistributionPoint.Sessions;

/// <summary>Where a scheduled session is in its life.</summary>
public enum MulticastSessionState
{
    /// <summary>Scheduled-cast: waiting for its minimum size or its start delay.</summary>
    Waiting,

    /// <summary>Sending (or waiting for its first receivers to connect).</summary>
    Running,

    /// <summary>Ended normally: all its clients were done and it stayed idle, or the distribution point stopped.</summary>
    Ended,

    /// <summary>The sender failed or could not start.</summary>
    Failed,
}
