namespace Deploycast.DistributionPoint.Sessions;

/// <summary>What an administrator's action on a session did.</summary>
/// <param name="Outcome">Whether it was done, or why not.</param>
/// <param name="Message">A sentence for the administrator: what happened, or why nothing did.</param>
public sealed record SessionActionResult(SessionActionOutcome Outcome, string Message);

/// <summary>Outcomes of an administrator's action on a session.</summary>
public enum SessionActionOutcome
{
    /// <summary>Done.</summary>
    Done,

    /// <summary>No such waiting or running session, or no such client in it.</summary>
    NotFound,

    /// <summary>The session or client is not in a state the action applies to (for example, it already runs).</summary>
    Conflict,
}
