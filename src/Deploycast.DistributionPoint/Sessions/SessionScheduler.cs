using System.Globalization;
using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;
using Microsoft.Extensions.Logging;

namespace Deploycast.DistributionPoint.Sessions;

/// <summary>
/// Decides which multicast session serves which client, starts and ends sessions, and applies the slow-client
/// policy: the distribution point's multicast brain, with no sockets of its own.
/// </summary>
/// <remarks>
/// <para>
/// Thread-safe: HTTP requests call <see cref="Request"/> concurrently while a timer calls <see cref="Tick"/> (about
/// once a second). The settings delegate is read at every call, so settings may change at run time. Status messages,
/// <see cref="SessionChanged"/> and the sessions' <see cref="IMulticastSession.Stop"/> and
/// <see cref="IDisposable.Dispose"/> run outside the lock; <see cref="IMulticastSessionFactory.Start"/>,
/// <see cref="IMulticastSession.TakeEvents"/> and <see cref="IMulticastSession.Dismiss"/> run inside it and must not block.
/// </para>
/// <para>
/// One session per package version and multistream tier at a time. Auto-cast starts a session at its first request
/// (the sender waits <see cref="AutoCastMaxWait"/> for that client to connect); scheduled-cast collects waiting
/// clients, answers them <see cref="SessionDecisionKind.Wait"/> with a retry hint of at most
/// <see cref="MaxWaitRetry"/>, and starts when <see cref="MulticastSettings.MinimumSessionSize"/> clients wait or
/// <see cref="MulticastSettings.SessionStartDelayMinutes"/> have passed since the first request, whichever comes first;
/// the sender then waits up to <see cref="ScheduledMaxWait"/> for all of them to connect.
/// </para>
/// <para>
/// Multistream tier rates: tier 0 runs at <see cref="MulticastSettings.ClientTransferRate"/> (dynamic when unset).
/// With 2 tiers, tier 1 is capped at <see cref="MulticastSettings.SlowClientThreshold"/>. With 3 tiers, tier 2 is
/// capped at the threshold and the medium tier 1 at <see cref="MulticastSettings.MediumTierFactor"/> (4) times it:
/// two doublings keep it clearly apart from the slow tier while it stays well under a dynamic fast tier, and each
/// tier's own rate control adapts below its ceiling. A slow client moves down one tier only when its rate is under
/// the ceiling of the tier below (for the last step, under the threshold): a client flagged slow for its loss alone,
/// at a good rate, would only be slowed further by a capped tier. Tier sessions start at once (auto-cast) even under
/// scheduled-cast: their clients come from a session that already runs.
/// </para>
/// <para>
/// A client already in a running session keeps it when it asks again, even after multicast was disabled: disabling
/// stops new multicast, not transfers under way.
/// </para>
/// </remarks>
public sealed partial class SessionScheduler : IDisposable
{
    /// <summary>The component name in status messages.</summary>
    public const string ComponentName = "SessionScheduler";

    /// <summary>Auto-cast: how long the sender waits for the first client to connect.</summary>
    public static readonly TimeSpan AutoCastMaxWait = TimeSpan.FromSeconds(2);

    /// <summary>Scheduled-cast: how long the sender waits for the waiting clients to connect once it starts.</summary>
    public static readonly TimeSpan ScheduledMaxWait = TimeSpan.FromSeconds(10);

    /// <summary>Longest retry hint for a waiting client, so it learns of the start within seconds.</summary>
    public static readonly TimeSpan MaxWaitRetry = TimeSpan.FromSeconds(5);

    /// <summary>Retry hint when the distribution point has its maximum number of clients.</summary>
    public static readonly TimeSpan BusyRetry = TimeSpan.FromSeconds(30);

    /// <summary>Retry hint when every group/port pair is in use: pairs free only when sessions end, which takes minutes.</summary>
    public static readonly TimeSpan ExhaustedRetry = TimeSpan.FromSeconds(60);

    /// <summary>A client told to join that the sender has not heard within this time is lost (its slot is freed).</summary>
    public static readonly TimeSpan JoinTimeout = TimeSpan.FromMinutes(2);

    /// <summary>How many ended sessions <see cref="GetSessions"/> keeps.</summary>
    public const int EndedSessionsKept = 50;

    private readonly Func<MulticastSettings> _settings;
    private readonly GroupAllocator _allocator;
    private readonly IMulticastSessionFactory _factory;
    private readonly IDistributionPointStatusSink _status;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionScheduler> _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string ContentKey, int Tier), ScheduledSession> _sessions = [];
    private readonly Dictionary<(string ContentKey, string ClientId), TierMemory> _tiers = [];
    private readonly Queue<SessionSnapshot> _ended = new();
    private int _activeClients;
    private long _serial;
    private bool _disposed;
    private MulticastSettings? _checkedSettings;
    private string? _checkedProblem;
    private MulticastSettings _lastValid = MulticastSettings.Default;

    /// <summary>Creates a scheduler.</summary>
    /// <param name="settings">Returns the current settings; read at every call.</param>
    /// <param name="allocator">Leases group addresses and ports.</param>
    /// <param name="factory">Starts the senders.</param>
    /// <param name="status">Receives status messages.</param>
    /// <param name="time">The clock (a fake one in tests).</param>
    /// <param name="logger">Logger.</param>
    public SessionScheduler(
        Func<MulticastSettings> settings,
        GroupAllocator allocator,
        IMulticastSessionFactory factory,
        IDistributionPointStatusSink status,
        TimeProvider time,
        ILogger<SessionScheduler> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _settings = settings;
        _allocator = allocator;
        _factory = factory;
        _status = status;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Raised, outside the scheduler's lock, with a fresh snapshot whenever a session's state or one of its clients'
    /// states changes (so the host can push server-sent events). Handlers should return quickly; exceptions are logged.
    /// </summary>
    public event Action<SessionSnapshot>? SessionChanged;

    /// <summary>Answers a client's request for a package's content; see the class remarks for the rules.</summary>
    /// <exception cref="ObjectDisposedException">The scheduler has been disposed.</exception>
    public SessionDecision Request(SessionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ClientId, nameof(request));
        ArgumentNullException.ThrowIfNull(request.Content, nameof(request));
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Content.PackageId, nameof(request));

        var batch = new Batch();
        SessionDecision decision;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            decision = Decide(request, _settings(), _time.GetUtcNow(), batch);
            batch.TakeSnapshots();
        }

        Flush(batch);
        return decision;
    }

    /// <summary>
    /// Starts scheduled sessions that are due, reads every session's events and reports, applies the slow-client
    /// policy, and ends sessions that are done. Call it about once a second.
    /// </summary>
    public void Tick()
    {
        var batch = new Batch();
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var now = _time.GetUtcNow();
            var settings = _settings();
            if (CheckSettings(settings, now, batch) is not null)
            {
                // Running sessions still need a policy; the last valid settings are the administrator's last intent.
                settings = _lastValid;
            }

            foreach (var session in _sessions.Values.ToList())
            {
                if (session.State == MulticastSessionState.Waiting)
                {
                    if (!settings.Enabled)
                    {
                        End(session, "multicast was disabled on the distribution point before it started", stop: false, now, batch);
                    }
                    else if (IsDue(session, settings, now))
                    {
                        Start(session, settings, now, batch);
                    }
                }
                else
                {
                    Poll(session, settings, now, batch);
                }
            }

            PurgeTierMemory(settings, now);
            batch.TakeSnapshots();
        }

        Flush(batch);
    }

    /// <summary>
    /// Every session for monitoring: the waiting and running ones in the order they were created, then up to
    /// <see cref="EndedSessionsKept"/> ended or failed ones, the most recent first.
    /// </summary>
    public IReadOnlyList<SessionSnapshot> GetSessions()
    {
        lock (_lock)
        {
            return _sessions.Values
                .OrderBy(s => s.Created)
                .Select(s => s.ToSnapshot())
                .Concat(_ended.Reverse())
                .ToList();
        }
    }

    /// <summary>Stops every session and frees its group and port; later requests throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        var batch = new Batch();
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            var now = _time.GetUtcNow();
            foreach (var session in _sessions.Values.ToList())
            {
                End(session, "the distribution point is stopping", stop: session.Session is not null, now, batch);
            }

            batch.TakeSnapshots();
        }

        Flush(batch);
    }

    private SessionDecision Decide(SessionRequest request, MulticastSettings settings, DateTimeOffset now, Batch batch)
    {
        var content = request.Content;
        var clientId = request.ClientId;
        var contentKey = ContentKeyOf(content);

        // Retries are idempotent: a client still active in a session gets the same answer, whatever changed since.
        for (var tier = 0; tier < 3; tier++)
        {
            if (_sessions.TryGetValue((contentKey, tier), out var current)
                && current.Clients.TryGetValue(clientId, out var member) && member.IsActive)
            {
                current.LastActivity = now;
                TouchTier(contentKey, clientId, now);
                if (current.State == MulticastSessionState.Waiting && IsDue(current, settings, now) && CheckSettings(settings, now, batch) is null)
                {
                    Start(current, settings, now, batch);
                }

                return Answer(current, member, settings, now, batch);
            }
        }

        if (CheckSettings(settings, now, batch) is { } problem)
        {
            return NoMulticast(content, clientId, $"The distribution point's multicast settings are invalid: {problem}", batch, now);
        }

        if (!settings.Enabled)
        {
            return NoMulticast(content, clientId, "Multicast is not enabled on this distribution point.", batch, now);
        }

        if (!content.AllowMulticast)
        {
            return NoMulticast(content, clientId, $"Package {content.PackageId} does not allow multicast.", batch, now);
        }

        var wantedTier = settings.SlowClientPolicy == SlowClientPolicy.Multistream
            && _tiers.TryGetValue((contentKey, TierMemoryClient(clientId)), out var memory)
            ? Math.Min(memory.Tier, settings.MultistreamTiers - 1)
            : 0;
        _sessions.TryGetValue((contentKey, wantedTier), out var session);
        var client = session?.Clients.GetValueOrDefault(clientId);
        if (client is { State: SessionClientState.FellBack })
        {
            return Decision(SessionDecisionKind.Unicast, $"The client was disconnected from multicast session {session!.Key} as a slow client; download by unicast.", null, unicastAllowed: true);
        }

        if (client is { State: SessionClientState.Disconnected, MovedToTier: null })
        {
            return Decision(SessionDecisionKind.Refused, $"The client was disconnected from multicast session {session!.Key} as a slow client, and may not fall back to unicast.", null, unicastAllowed: false);
        }

        // A new client, or one back after it completed, left or was lost: it takes a slot again.
        if (_activeClients >= settings.MaximumClients)
        {
            Report(StatusSeverity.Warning, StatusMessageIds.RequestBusy,
                Invariant($"Client {clientId} asked for package {content.PackageId} version {content.Version} while {_activeClients} clients receive by multicast (MaximumClients {settings.MaximumClients}); it was asked to retry."),
                session?.Key, clientId, now, batch);
            return Decision(SessionDecisionKind.Busy,
                Invariant($"The distribution point already serves its maximum of {settings.MaximumClients} multicast clients."),
                BusyRetry, unicastAllowed: !content.MulticastOnly);
        }

        var created = session is null;
        if (session is null)
        {
            try
            {
                session = Create(content, contentKey, wantedTier, settings, now, batch);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Report(StatusSeverity.Error, StatusMessageIds.LockDirectoryUnusable,
                    $"The group/port lock directory {_allocator.LockDirectory} cannot be used, so no multicast session can start: {e.Message}",
                    null, clientId, now, batch);
                return Decision(SessionDecisionKind.Busy,
                    $"The distribution point cannot reserve a multicast group address: {e.Message}",
                    BusyRetry, unicastAllowed: !content.MulticastOnly);
            }

            if (session is null)
            {
                Report(StatusSeverity.Warning, StatusMessageIds.RangeExhausted,
                    $"No multicast group address and port is free ({settings.RangesText}) for package {content.PackageId} version {content.Version}; client {clientId} was asked to retry.",
                    null, clientId, now, batch);
                return Decision(SessionDecisionKind.Busy,
                    $"Every multicast group address and port of this distribution point is in use ({settings.RangesText}).",
                    ExhaustedRetry, unicastAllowed: !content.MulticastOnly);
            }
        }

        var state = session.State == MulticastSessionState.Waiting ? SessionClientState.Waiting : SessionClientState.Joined;
        if (client is null)
        {
            client = session.AddClient(clientId, state, now);
            AdjustActive(session, +1);
            batch.Changed(session);
        }
        else
        {
            session.Rejoin(client, now);
            SetState(session, client, state, now, batch);
        }

        session.LastActivity = now;
        TouchTier(contentKey, clientId, now);
        if (session.State == MulticastSessionState.Waiting && IsDue(session, settings, now))
        {
            Start(session, settings, now, batch);
        }

        if (session.State is MulticastSessionState.Failed)
        {
            return Decision(SessionDecisionKind.Busy,
                $"The multicast session for package {content.PackageId} could not start: {session.Failure}",
                BusyRetry, unicastAllowed: !content.MulticastOnly);
        }

        if (session.State == MulticastSessionState.Waiting)
        {
            if (created)
            {
                Report(StatusSeverity.Informational, StatusMessageIds.SessionScheduled,
                    Invariant($"Scheduled multicast session {session.Key} for package {content.PackageId} version {content.Version} waits at {session.Group}: it starts when {settings.MinimumSessionSize} clients wait or at {session.Created + TimeSpan.FromMinutes(settings.SessionStartDelayMinutes):u}, whichever comes first."),
                    session.Key, null, now, batch);
            }

            Report(StatusSeverity.Informational, StatusMessageIds.ClientWaiting,
                Invariant($"Client {clientId} waits for scheduled multicast session {session.Key} ({session.ActiveClients} of {settings.MinimumSessionSize} clients)."),
                session.Key, clientId, now, batch);
        }

        return Answer(session, client, settings, now, batch);
    }

    private SessionDecision Answer(ScheduledSession session, SessionClient client, MulticastSettings settings, DateTimeOffset now, Batch batch)
    {
        if (session.State == MulticastSessionState.Waiting)
        {
            var startBy = session.Created + TimeSpan.FromMinutes(settings.SessionStartDelayMinutes);
            return Decision(SessionDecisionKind.Wait,
                Invariant($"Waiting for scheduled multicast session {session.Key} to start: {session.ActiveClients} of {settings.MinimumSessionSize} clients; it starts by {startBy:u} at the latest."),
                WaitRetry(startBy - now), unicastAllowed: !session.Content.MulticastOnly);
        }

        if (!client.Told)
        {
            client.Told = true;
            Report(StatusSeverity.Informational, StatusMessageIds.ClientJoined,
                Invariant($"Client {client.ClientId} joins multicast session {session.Key} (session id {session.SessionId:x8}, receiver {client.ReceiverId:x8}) at {session.Group}."),
                session.Key, client.ClientId, now, batch);
        }

        return new SessionDecision
        {
            Kind = SessionDecisionKind.Join,
            Reason = Invariant($"Join multicast session {session.Key} (session id {session.SessionId:x8}) at {session.Group}, sent from {session.Interface}."),
            UnicastAllowed = !session.Content.MulticastOnly,
            SessionId = session.SessionId,
            Group = session.Group,
            Interface = session.Interface,
            ReceiverId = client.ReceiverId,

            // A copy: the session's own key is cleared when the session ends, and no caller can change it meanwhile.
            Key = session.EncryptionKey?.ToArray(),
            Tier = session.Tier,
        };
    }

    private SessionDecision NoMulticast(PackageContentRef content, string clientId, string why, Batch batch, DateTimeOffset now)
    {
        if (content.MulticastOnly)
        {
            var reason = $"{why} Package {content.PackageId} is multicast-only, so nothing can serve it.";
            Report(StatusSeverity.Error, StatusMessageIds.RequestRefused, $"Client {clientId} was refused package {content.PackageId} version {content.Version}: {reason}", null, clientId, now, batch);
            return Decision(SessionDecisionKind.Refused, reason, null, unicastAllowed: false);
        }

        Report(StatusSeverity.Informational, StatusMessageIds.RequestUnicast, $"Client {clientId} downloads package {content.PackageId} version {content.Version} by unicast: {why}", null, clientId, now, batch);
        return Decision(SessionDecisionKind.Unicast, $"{why} Download by unicast.", null, unicastAllowed: true);
    }

    private static SessionDecision Decision(SessionDecisionKind kind, string reason, TimeSpan? retryAfter, bool unicastAllowed) =>
        new() { Kind = kind, Reason = reason, RetryAfter = retryAfter, UnicastAllowed = unicastAllowed };

    /// <summary>Whole seconds, 1 to <see cref="MaxWaitRetry"/>: an HTTP Retry-After header counts in seconds.</summary>
    private static TimeSpan WaitRetry(TimeSpan remaining) =>
        TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(remaining.TotalSeconds), 1, MaxWaitRetry.TotalSeconds));

    private static bool IsDue(ScheduledSession session, MulticastSettings settings, DateTimeOffset now) =>
        session.Tier > 0
        || !settings.ScheduledMulticast
        || session.ActiveClients >= settings.MinimumSessionSize
        || now - session.Created >= TimeSpan.FromMinutes(settings.SessionStartDelayMinutes);

    /// <summary>Returns why the settings are invalid, or null; reports each invalid settings value once.</summary>
    private string? CheckSettings(MulticastSettings settings, DateTimeOffset now, Batch batch)
    {
        if (Equals(settings, _checkedSettings))
        {
            return _checkedProblem;
        }

        var errors = settings.Validate();
        _checkedSettings = settings;
        _checkedProblem = errors.Count == 0 ? null : string.Join(" ", errors.Select(e => e.Message));
        if (_checkedProblem is null)
        {
            _lastValid = settings;
        }
        else
        {
            Report(StatusSeverity.Error, StatusMessageIds.SettingsInvalid,
                $"The distribution point's multicast settings are invalid; new clients go to unicast: {_checkedProblem}", null, null, now, batch);
        }

        return _checkedProblem;
    }

    private static string ContentKeyOf(PackageContentRef content) =>
        string.Create(CultureInfo.InvariantCulture, $"{content.PackageId.ToUpperInvariant()}\0{content.Version}\0{content.ContentId}");

    private static string TierMemoryClient(string clientId) => clientId.ToUpperInvariant();

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    private sealed class TierMemory(int tier, DateTimeOffset touched)
    {
        public int Tier { get; set; } = tier;
        public DateTimeOffset Touched { get; set; } = touched;
    }
}
