using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;

namespace Deploycast.DistributionPoint.Sessions;

/// <summary>What an administrator may do to a session by hand (the web console's buttons).</summary>
public sealed partial class SessionScheduler
{
    /// <summary>
    /// Starts a waiting scheduled session now, with the clients that wait, instead of waiting for
    /// <see cref="MulticastSettings.MinimumSessionSize"/> or <see cref="MulticastSettings.SessionStartDelayMinutes"/>.
    /// Waiting clients learn of the start at their next retry, as they would have at the scheduled start.
    /// </summary>
    /// <param name="sessionKey">The session's <see cref="SessionSnapshot.Key"/>.</param>
    public SessionActionResult StartNow(string sessionKey)
    {
        ArgumentNullException.ThrowIfNull(sessionKey);
        var batch = new Batch();
        SessionActionResult result;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetUtcNow();
            var settings = _settings();
            var session = Find(sessionKey);
            if (session is null)
            {
                result = new(SessionActionOutcome.NotFound, $"There is no waiting or running multicast session {sessionKey}.");
            }
            else if (session.State != MulticastSessionState.Waiting)
            {
                result = new(SessionActionOutcome.Conflict, $"Multicast session {sessionKey} is not waiting to start; it is {session.State}.");
            }
            else if (CheckSettings(settings, now, batch) is { } problem)
            {
                result = new(SessionActionOutcome.Conflict, $"Multicast session {sessionKey} cannot start: the distribution point's multicast settings are invalid: {problem}");
            }
            else if (!settings.Enabled)
            {
                result = new(SessionActionOutcome.Conflict, $"Multicast session {sessionKey} cannot start: multicast is not enabled on this distribution point.");
            }
            else
            {
                Report(StatusSeverity.Informational, StatusMessageIds.SessionStartedByAdministrator,
                    Invariant($"An administrator started scheduled multicast session {session.Key} now, with {session.ActiveClients} of {settings.MinimumSessionSize} clients waiting."),
                    session.Key, null, now, batch);
                Start(session, settings, now, batch);
                result = session.State == MulticastSessionState.Running
                    ? new(SessionActionOutcome.Done, Invariant($"Multicast session {session.Key} started with {session.ActiveClients} client(s)."))
                    : new(SessionActionOutcome.Conflict, $"Multicast session {session.Key} could not start: {session.Failure}");
            }

            batch.TakeSnapshots();
        }

        Flush(batch);
        return result;
    }

    /// <summary>
    /// Disconnects a client from its session as the slow-client policy's auto-disconnect does: the sender dismisses it,
    /// and it falls back to unicast when <see cref="MulticastSettings.FallBackToUnicast"/> is on and the package is not
    /// multicast-only; otherwise its download fails.
    /// </summary>
    /// <param name="sessionKey">The session's <see cref="SessionSnapshot.Key"/>.</param>
    /// <param name="clientId">The client's id in it.</param>
    public SessionActionResult Disconnect(string sessionKey, string clientId)
    {
        ArgumentNullException.ThrowIfNull(sessionKey);
        ArgumentNullException.ThrowIfNull(clientId);
        var batch = new Batch();
        SessionActionResult result;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _time.GetUtcNow();
            var settings = CheckSettings(_settings(), now, batch) is null ? _settings() : _lastValid;
            var session = Find(sessionKey);
            if (session is null || !session.Clients.TryGetValue(clientId, out var client))
            {
                result = new(SessionActionOutcome.NotFound, $"There is no client {clientId} in a waiting or running multicast session {sessionKey}.");
            }
            else if (!client.IsActive)
            {
                result = new(SessionActionOutcome.Conflict, $"Client {client.ClientId} is no longer in multicast session {sessionKey}; it is {client.State}.");
            }
            else
            {
                var fallBack = settings.FallBackToUnicast && !session.Content.MulticastOnly;

                // A waiting session has no sender yet: the client is only marked, and its next request is answered as
                // a dismissed client's.
                if (session.Session is not null && !TryDismiss(session, client, fallBack))
                {
                    result = new(SessionActionOutcome.Conflict, $"The sender of multicast session {sessionKey} could not dismiss client {client.ClientId}; try again.");
                }
                else
                {
                    client.FellBack = fallBack;
                    client.Detail = "disconnected by an administrator";
                    SetState(session, client, fallBack ? SessionClientState.FellBack : SessionClientState.Disconnected, now, batch);
                    var outcome = fallBack ? "it falls back to unicast" : "it may not fall back to unicast, so its download fails";
                    Report(StatusSeverity.Warning, StatusMessageIds.ClientDisconnected,
                        Invariant($"Client {client.ClientId} was disconnected from multicast session {session.Key} by an administrator; {outcome}."),
                        session.Key, client.ClientId, now, batch);
                    result = new(SessionActionOutcome.Done, $"Client {client.ClientId} was disconnected from multicast session {session.Key}; {outcome}.");
                }
            }

            batch.TakeSnapshots();
        }

        Flush(batch);
        return result;
    }

    private ScheduledSession? Find(string sessionKey) =>
        _sessions.Values.FirstOrDefault(s => string.Equals(s.Key, sessionKey, StringComparison.OrdinalIgnoreCase));
}
