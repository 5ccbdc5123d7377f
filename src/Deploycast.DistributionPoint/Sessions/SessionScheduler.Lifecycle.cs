using System.Security.Cryptography;
using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;
using Microsoft.Extensions.Logging;

namespace Deploycast.DistributionPoint.Sessions;

/// <summary>Creating, starting and ending sessions; client state bookkeeping; what goes out after the lock.</summary>
public sealed partial class SessionScheduler
{
    /// <summary>
    /// The rate ceiling of a multistream tier (see the class remarks): tier 0 the transfer rate, the last tier the
    /// slow-client threshold, the medium tier of three <see cref="MulticastSettings.MediumTierFactor"/> times it; never
    /// above <see cref="MulticastSettings.ClientTransferRate"/>.
    /// </summary>
    internal static long? TierRate(MulticastSettings settings, int tier)
    {
        if (tier == 0)
        {
            return settings.ClientTransferRate;
        }

        var rate = tier >= settings.MultistreamTiers - 1
            ? settings.SlowClientThreshold
            : settings.SlowClientThreshold * MulticastSettings.MediumTierFactor;
        return settings.ClientTransferRate is { } ceiling ? Math.Min(rate, ceiling) : rate;
    }

    /// <summary>Leases a group and port for a new, waiting session; null when the ranges are exhausted.</summary>
    private ScheduledSession? Create(PackageContentRef content, string contentKey, int tier, MulticastSettings settings, DateTimeOffset now, Batch batch)
    {
        var lease = _allocator.TryAcquire(settings);
        if (lease is null)
        {
            return null;
        }

        var key = Invariant($"{content.PackageId}-v{content.Version}-t{tier}-{++_serial}");
        var session = new ScheduledSession(key, contentKey, content, tier, lease, settings.InterfaceAddress, TierRate(settings, tier), now);
        _sessions.Add((contentKey, tier), session);
        batch.Changed(session);
        return session;
    }

    private void Start(ScheduledSession session, MulticastSettings settings, DateTimeOffset now, Batch batch)
    {
        var waiting = session.Clients.Values.Where(c => c.State == SessionClientState.Waiting).ToList();
        var autoCast = session.Tier > 0 || !settings.ScheduledMulticast;
        var plan = new MulticastSessionPlan(
            session.Content,
            session.Tier,
            session.Interface,
            session.Group,
            session.MaxRate,
            Math.Max(1, waiting.Count),
            autoCast ? AutoCastMaxWait : ScheduledMaxWait,
            session.EncryptionKey);

        IMulticastSession sender;
        try
        {
            sender = _factory.Start(plan);
        }
        catch (Exception e)
        {
            // Whatever stops a sender from starting fails this session only, never the scheduler.
            SchedulerLog.StartFailed(_logger, e, session.Key);
            Fail(session, $"the sender could not start: {e.Message}", now, batch);
            return;
        }

        session.Session = sender;
        session.SessionId = sender.SessionId;
        session.State = MulticastSessionState.Running;
        session.Started = now;
        session.LastActivity = now;
        foreach (var client in waiting)
        {
            client.AssignedAt = now;
            SetState(session, client, SessionClientState.Joined, now, batch);
        }

        batch.Changed(session);
        var content = session.Content;
        Report(StatusSeverity.Informational, StatusMessageIds.SessionStarted,
            Invariant($"Multicast session {session.Key} (session id {session.SessionId:x8}) started: package {content.PackageId} version {content.Version} ({content.Size} bytes{(session.EncryptionKey is null ? "" : ", encrypted")}) to {session.Group} from {session.Interface}, tier {session.Tier}, rate {FormatRate(session.MaxRate)}; waits for {plan.MinReceivers} client(s) up to {plan.MaxWait.TotalSeconds:0} s."),
            session.Key, null, now, batch);
    }

    private void Fail(ScheduledSession session, string failure, DateTimeOffset now, Batch batch)
    {
        session.Failure = failure;
        Finish(session, MulticastSessionState.Failed, failure, stop: false, now, batch);
        Report(StatusSeverity.Error, StatusMessageIds.SessionFailed,
            Invariant($"Multicast session {session.Key} for package {session.Content.PackageId} version {session.Content.Version} failed: {failure}"),
            session.Key, null, now, batch);
    }

    private void End(ScheduledSession session, string reason, bool stop, DateTimeOffset now, Batch batch)
    {
        var completed = session.Clients.Values.Count(c => c.State == SessionClientState.Completed);
        Finish(session, MulticastSessionState.Ended, reason, stop, now, batch);
        Report(StatusSeverity.Informational, StatusMessageIds.SessionEnded,
            Invariant($"Multicast session {session.Key} for package {session.Content.PackageId} version {session.Content.Version} ended: {reason}; {completed} of {session.Clients.Count} client(s) completed."),
            session.Key, null, now, batch);
    }

    private void Finish(ScheduledSession session, MulticastSessionState state, string reason, bool stop, DateTimeOffset now, Batch batch)
    {
        _sessions.Remove((session.ContentKey, session.Tier));
        session.State = state;
        session.Ended = now;
        foreach (var client in session.Clients.Values.Where(c => c.IsActive).ToList())
        {
            client.Detail = $"the session ended: {reason}";
            SetState(session, client, SessionClientState.Lost, now, batch);
        }

        batch.Changed(session);
        _ended.Enqueue(session.ToSnapshot());
        while (_ended.Count > EndedSessionsKept)
        {
            _ended.Dequeue();
        }

        batch.Release(session, stop);
    }

    private void SetState(ScheduledSession session, SessionClient client, SessionClientState state, DateTimeOffset now, Batch batch)
    {
        if (client.State == state)
        {
            return;
        }

        var wasActive = client.IsActive;
        client.State = state;
        if (wasActive && !client.IsActive)
        {
            AdjustActive(session, -1);

            // Idle time counts from the last client to finish, so a session lingers for late joiners after it.
            if (now > session.LastActivity)
            {
                session.LastActivity = now;
            }
        }
        else if (!wasActive && client.IsActive)
        {
            AdjustActive(session, +1);
        }

        batch.Changed(session);
    }

    private void AdjustActive(ScheduledSession session, int delta)
    {
        session.ActiveClients += delta;
        _activeClients += delta;
    }

    private void TouchTier(string contentKey, string clientId, DateTimeOffset now)
    {
        if (_tiers.TryGetValue((contentKey, TierMemoryClient(clientId)), out var memory))
        {
            memory.Touched = now;
        }
    }

    private void RememberTier(string contentKey, string clientId, int tier, DateTimeOffset now) =>
        _tiers[(contentKey, TierMemoryClient(clientId))] = new TierMemory(tier, now);

    /// <summary>
    /// Forgets a moved client's tier once no session of that content is left and it has not asked for as long as a
    /// session would linger; until then, a new session of the content still puts it in its slow tier.
    /// </summary>
    private void PurgeTierMemory(MulticastSettings settings, DateTimeOffset now)
    {
        if (_tiers.Count == 0)
        {
            return;
        }

        var live = _sessions.Keys.Select(k => k.ContentKey).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, memory) in _tiers.ToList())
        {
            if (!live.Contains(key.ContentKey) && now - memory.Touched >= settings.SessionIdleTimeout)
            {
                _tiers.Remove(key);
            }
        }
    }

    private void Report(string severity, int messageId, string description, string? sessionKey, string? clientId, DateTimeOffset now, Batch batch)
    {
        batch.Statuses.Add(new DistributionPointStatus(now, severity, messageId, ComponentName, description, sessionKey, clientId));
        var level = severity switch
        {
            StatusSeverity.Error => LogLevel.Error,
            StatusSeverity.Warning => LogLevel.Warning,
            _ => LogLevel.Information,
        };
        SchedulerLog.Status(_logger, level, messageId, description);
    }

    /// <summary>Stops and disposes ended senders, frees their pairs, records statuses and raises events, outside the lock.</summary>
    private void Flush(Batch batch)
    {
        foreach (var (session, stop) in batch.Released)
        {
            if (session.Session is { } sender)
            {
                if (stop)
                {
                    Call(session, "Stop", sender.Stop);
                }

                Call(session, "Dispose", sender.Dispose);
            }

            session.Lease.Dispose();
            if (session.EncryptionKey is { } key)
            {
                CryptographicOperations.ZeroMemory(key);
            }
        }

        foreach (var status in batch.Statuses)
        {
            try
            {
                _status.Record(status);
            }
            catch (Exception e)
            {
                // A failing sink loses a message; it must not fail the request or the tick.
                SchedulerLog.StatusSinkFailed(_logger, e, status.MessageId);
            }
        }

        var handler = SessionChanged;
        if (handler is null)
        {
            return;
        }

        foreach (var snapshot in batch.Snapshots)
        {
            try
            {
                handler(snapshot);
            }
            catch (Exception e)
            {
                // A monitoring subscriber's failure is its own.
                SchedulerLog.SessionChangedHandlerFailed(_logger, e, snapshot.Key);
            }
        }
    }

    private void Call(ScheduledSession session, string call, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            // An ended sender that fails to stop cleanly is logged; its pair is freed anyway.
            SchedulerLog.SessionCallFailed(_logger, e, session.Key, call);
        }
    }

    private static string FormatRate(double? bitsPerSecond) => bitsPerSecond switch
    {
        null => "dynamic",
        >= 1e9 => Invariant($"{bitsPerSecond / 1e9:0.##} Gbit/s"),
        >= 1e6 => Invariant($"{bitsPerSecond / 1e6:0.##} Mbit/s"),
        _ => Invariant($"{bitsPerSecond / 1e3:0.##} kbit/s"),
    };

    /// <summary>What one call did that must go out after the lock is released.</summary>
    private sealed class Batch
    {
        private readonly HashSet<ScheduledSession> _changed = new(ReferenceEqualityComparer.Instance);

        public List<DistributionPointStatus> Statuses { get; } = [];
        public List<SessionSnapshot> Snapshots { get; } = [];
        public List<(ScheduledSession Session, bool Stop)> Released { get; } = [];

        public void Changed(ScheduledSession session) => _changed.Add(session);

        public void Release(ScheduledSession session, bool stop) => Released.Add((session, stop));

        /// <summary>Called at the end of the locked section, so each snapshot shows the session's state after the call.</summary>
        public void TakeSnapshots()
        {
            foreach (var session in _changed)
            {
                Snapshots.Add(session.ToSnapshot());
            }
        }
    }
}
