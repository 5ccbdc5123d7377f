using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;
using Deploycast.Multicast.Sending;

namespace Deploycast.DistributionPoint.Sessions;

/// <summary>Following a running session's receivers and applying the slow-client policy.</summary>
public sealed partial class SessionScheduler
{
    private void Poll(ScheduledSession session, MulticastSettings settings, DateTimeOffset now, Batch batch)
    {
        var sender = session.Session!;
        bool finished;
        string? failure;
        IReadOnlyList<ReceiverEvent> events;
        SenderSummary? summary;
        try
        {
            // Finished first: a sender that has finished has queued its last events, so none is missed below.
            finished = sender.IsFinished;
            failure = sender.Failure;
            events = sender.TakeEvents();
            summary = sender.Snapshot;
        }
        catch (Exception e)
        {
            // A sender that cannot be read is a failed session, not a failed scheduler.
            SchedulerLog.SessionCallFailed(_logger, e, session.Key, "TakeEvents");
            Fail(session, $"the sender could not be read: {e.Message}", now, batch);
            return;
        }

        foreach (var e in events)
        {
            ApplyEvent(session, e, settings, now, batch);
        }

        if (summary is not null)
        {
            ApplySummary(session, summary, settings, now, batch);
        }

        ExpireJoins(session, now, batch);
        if (finished)
        {
            if (failure is not null)
            {
                Fail(session, failure, now, batch);
            }
            else
            {
                End(session, "the sender ended", stop: false, now, batch);
            }

            return;
        }

        ApplyPolicy(session, settings, now, batch);
        if (session.ActiveClients == 0 && session.Clients.Count > 0 && now - session.LastActivity >= settings.SessionIdleTimeout)
        {
            End(session, Invariant($"all its clients were done and it was idle for {settings.SessionIdleTimeout.TotalSeconds:0} s"), stop: true, now, batch);
        }
    }

    private void ApplyEvent(ScheduledSession session, ReceiverEvent e, MulticastSettings settings, DateTimeOffset now, Batch batch)
    {
        if (!session.ByReceiver.TryGetValue(e.ReceiverId, out var client))
        {
            SchedulerLog.UnknownReceiver(_logger, session.Key, e.ReceiverId, e.Kind);
            return;
        }

        if (e.Kind == ReceiverEventKind.Restarted)
        {
            Restarted(session, client, e.Detail, now, batch);
            return;
        }

        if (!client.IsActive)
        {
            return; // a dismissed client leaving, or a late event about a client already done
        }

        switch (e.Kind)
        {
            case ReceiverEventKind.Joined:
                Heard(session, client, e.Detail, now, batch);
                break;
            case ReceiverEventKind.Slow:
                MarkSlow(session, client, e.Detail, settings, now, batch);
                break;
            case ReceiverEventKind.Completed:
                Complete(session, client, e.Detail, now, batch);
                break;
            case ReceiverEventKind.Left:
                client.Detail = e.Detail;
                SetState(session, client, SessionClientState.Left, now, batch);
                Report(StatusSeverity.Warning, StatusMessageIds.ClientLeft,
                    Invariant($"Client {client.ClientId} left multicast session {session.Key} without the whole package ({client.Progress:P0} received): {e.Detail}"),
                    session.Key, client.ClientId, now, batch);
                break;
            case ReceiverEventKind.Lost:
                client.Detail = e.Detail;
                SetState(session, client, SessionClientState.Lost, now, batch);
                Report(StatusSeverity.Warning, StatusMessageIds.ClientLost,
                    Invariant($"Client {client.ClientId} was lost from multicast session {session.Key} ({client.Progress:P0} received): {e.Detail}"),
                    session.Key, client.ClientId, now, batch);
                break;
        }
    }

    private void ApplySummary(ScheduledSession session, SenderSummary summary, MulticastSettings settings, DateTimeOffset now, Batch batch)
    {
        session.Rate = summary.RateBitsPerSecond;
        session.BytesOnWire = summary.BytesOnWire;
        foreach (var report in summary.Receivers)
        {
            if (!session.ByReceiver.TryGetValue(report.ReceiverId, out var client))
            {
                continue;
            }

            client.Progress = client.State == SessionClientState.Completed || report.CompletedAfter is not null
                ? 1
                : report.TotalBlocks > 0 ? Math.Clamp((double)report.BlocksDone / report.TotalBlocks, 0, 1) : 0;
            if (!client.IsActive)
            {
                continue; // keep the rate it had when it left the session
            }

            client.Rate = report.RateBitsPerSecond;
            client.Loss = report.LongRunLoss;

            // The events say the same, but the report may come first; state changes happen once either way.
            Heard(session, client, null, now, batch);
            if (report.CompletedAfter is not null)
            {
                Complete(session, client, null, now, batch);
            }
            else if (report.Slow)
            {
                MarkSlow(session, client, "the sender reports it slow", settings, now, batch);
            }
        }
    }

    private void Heard(ScheduledSession session, SessionClient client, string? detail, DateTimeOffset now, Batch batch)
    {
        if (client.State is not (SessionClientState.Waiting or SessionClientState.Joined))
        {
            return;
        }

        client.JoinedAt ??= now;
        client.Detail = detail ?? client.Detail;
        SetState(session, client, SessionClientState.Receiving, now, batch);
        Report(StatusSeverity.Informational, StatusMessageIds.ClientReceiving,
            Invariant($"Client {client.ClientId} (receiver {client.ReceiverId:x8}) receives multicast session {session.Key}."),
            session.Key, client.ClientId, now, batch);
    }

    /// <summary>
    /// The sender heard a new run of this client under its receiver id (it rebooted and asked again). A client that
    /// had completed, left or been lost receives again, as the sender counts it again; one the slow-client policy
    /// dismissed or moved stays where the policy put it (the sender keeps it dismissed too).
    /// </summary>
    private void Restarted(ScheduledSession session, SessionClient client, string detail, DateTimeOffset now, Batch batch)
    {
        if (client.State is SessionClientState.FellBack or SessionClientState.Disconnected)
        {
            return;
        }

        client.Detail = detail;
        if (!client.IsActive)
        {
            client.CompletedAt = null;
            client.Progress = 0;
            SetState(session, client, SessionClientState.Receiving, now, batch);
        }

        Report(StatusSeverity.Informational, StatusMessageIds.ClientRestarted,
            Invariant($"Client {client.ClientId} (receiver {client.ReceiverId:x8}) restarted in multicast session {session.Key} and receives again: {detail}."),
            session.Key, client.ClientId, now, batch);
    }

    private void Complete(ScheduledSession session, SessionClient client, string? detail, DateTimeOffset now, Batch batch)
    {
        if (!client.IsActive)
        {
            return;
        }

        client.JoinedAt ??= now;
        client.CompletedAt = now;
        client.Progress = 1;
        client.Detail = detail ?? client.Detail;
        SetState(session, client, SessionClientState.Completed, now, batch);
        Report(StatusSeverity.Informational, StatusMessageIds.ClientCompleted,
            Invariant($"Client {client.ClientId} received package {session.Content.PackageId} version {session.Content.Version} in multicast session {session.Key}."),
            session.Key, client.ClientId, now, batch);
    }

    private void MarkSlow(ScheduledSession session, SessionClient client, string detail, MulticastSettings settings, DateTimeOffset now, Batch batch)
    {
        if (client.State is not (SessionClientState.Joined or SessionClientState.Receiving))
        {
            return;
        }

        client.JoinedAt ??= now;
        client.Detail = detail;
        SetState(session, client, SessionClientState.Slow, now, batch);
        var next = session.Tier + 1;
        var policy = settings.SlowClientPolicy switch
        {
            SlowClientPolicy.AutoDisconnect => Invariant($"AutoDisconnect: it is disconnected while its rate is under {FormatRate(settings.SlowClientThreshold)}"),
            SlowClientPolicy.Multistream when next < settings.MultistreamTiers =>
                Invariant($"Multistream: it moves to tier {next} while its rate is under {FormatRate(TierRate(settings, next))}"),
            SlowClientPolicy.Multistream => "Multistream: it is in the slowest tier already and stays",
            _ => "None: it stays in the session, which no longer waits for it",
        };
        Report(StatusSeverity.Warning, StatusMessageIds.ClientSlow,
            Invariant($"Client {client.ClientId} is slow in multicast session {session.Key}: {detail}. Slow-client policy {policy}."),
            session.Key, client.ClientId, now, batch);
    }

    /// <summary>Fails clients told to join whom the sender never heard, so they free their slots and let the session end.</summary>
    private void ExpireJoins(ScheduledSession session, DateTimeOffset now, Batch batch)
    {
        foreach (var client in session.Clients.Values)
        {
            if (client.State == SessionClientState.Joined && now - client.AssignedAt >= JoinTimeout)
            {
                client.Detail = Invariant($"the sender did not hear from it within {JoinTimeout.TotalMinutes:0} minutes of its join");
                SetState(session, client, SessionClientState.Lost, now, batch);
                Report(StatusSeverity.Warning, StatusMessageIds.ClientLost,
                    Invariant($"Client {client.ClientId} was lost from multicast session {session.Key}: {client.Detail}."),
                    session.Key, client.ClientId, now, batch);
            }
        }
    }

    /// <summary>
    /// Acts on every client still marked slow, at every tick: the rate that decides comes from the reports, which may
    /// fall under the threshold only after the sender flagged the client.
    /// </summary>
    private void ApplyPolicy(ScheduledSession session, MulticastSettings settings, DateTimeOffset now, Batch batch)
    {
        if (settings.SlowClientPolicy == SlowClientPolicy.None)
        {
            return;
        }

        foreach (var client in session.Clients.Values)
        {
            if (client.State != SessionClientState.Slow || client.Rate is not { } rate)
            {
                continue;
            }

            if (settings.SlowClientPolicy == SlowClientPolicy.AutoDisconnect)
            {
                if (rate >= settings.SlowClientThreshold)
                {
                    continue;
                }

                var fallBack = settings.FallBackToUnicast && !session.Content.MulticastOnly;
                if (!TryDismiss(session, client, fallBack))
                {
                    continue;
                }

                client.FellBack = fallBack;
                client.Detail = Invariant($"disconnected at {FormatRate(rate)}, under {FormatRate(settings.SlowClientThreshold)}");
                SetState(session, client, fallBack ? SessionClientState.FellBack : SessionClientState.Disconnected, now, batch);
                Report(StatusSeverity.Warning, StatusMessageIds.ClientDisconnected,
                    Invariant($"Client {client.ClientId} was disconnected from multicast session {session.Key}: its rate {FormatRate(rate)} is under SlowClientThreshold {FormatRate(settings.SlowClientThreshold)}; {(fallBack ? "it falls back to unicast" : "it may not fall back to unicast, so its download fails")}."),
                    session.Key, client.ClientId, now, batch);
            }
            else if (settings.SlowClientPolicy == SlowClientPolicy.Multistream)
            {
                var next = session.Tier + 1;
                if (next >= settings.MultistreamTiers || TierRate(settings, next) is not { } ceiling || rate >= ceiling
                    || !TryDismiss(session, client, fallBackToUnicast: false))
                {
                    continue;
                }

                client.MovedToTier = next;
                client.Detail = Invariant($"moved to tier {next} at {FormatRate(rate)}");
                SetState(session, client, SessionClientState.Disconnected, now, batch);
                RememberTier(session.ContentKey, client.ClientId, next, now);
                Report(StatusSeverity.Warning, StatusMessageIds.ClientMovedToTier,
                    Invariant($"Client {client.ClientId} was moved from multicast session {session.Key} (tier {session.Tier}) to tier {next}: its rate {FormatRate(rate)} is under that tier's ceiling {FormatRate(ceiling)}."),
                    session.Key, client.ClientId, now, batch);
            }
        }
    }

    private bool TryDismiss(ScheduledSession session, SessionClient client, bool fallBackToUnicast)
    {
        try
        {
            session.Session!.Dismiss(client.ReceiverId, fallBackToUnicast);
            return true;
        }
        catch (Exception e)
        {
            // The client stays marked slow and the next tick tries again.
            SchedulerLog.SessionCallFailed(_logger, e, session.Key, "Dismiss");
            return false;
        }
    }
}
