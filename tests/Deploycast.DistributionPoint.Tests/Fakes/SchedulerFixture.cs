using System.Collections.Concurrent;
using Deploycast.DistributionPoint.Sessions;
using Deploycast.DistributionPoint.Settings;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deploycast.DistributionPoint.Tests.Fakes;

/// <summary>A scheduler over fakes: a hand-driven clock, a recording sender factory and status sink, private lock files.</summary>
internal sealed class SchedulerFixture : IDisposable
{
    private readonly ConcurrentQueue<SessionSnapshot> _changes = new();

    public SchedulerFixture(MulticastSettings? settings = null)
    {
        Settings = settings ?? MulticastSettings.Default;
        Allocator = new GroupAllocator(Locks.Path);
        Scheduler = new SessionScheduler(() => Settings, Allocator, Factory, Status, Time, NullLogger<SessionScheduler>.Instance);
        Scheduler.SessionChanged += _changes.Enqueue;
    }

    public TempDirectory Locks { get; } = new();
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero));
    public FakeMulticastSessionFactory Factory { get; } = new();
    public RecordingStatusSink Status { get; } = new();
    public GroupAllocator Allocator { get; }
    public SessionScheduler Scheduler { get; }

    /// <summary>The settings the scheduler reads at its next call.</summary>
    public MulticastSettings Settings { get; set; }

    public IReadOnlyList<SessionSnapshot> Changes => _changes.ToList();

    public static PackageContentRef Package(string id = "PS100001", int version = 1, bool allow = true, bool encrypt = false, bool only = false) =>
        new(id, version, $"content-{id}-{version}", 50_000_000, allow, encrypt, only);

    public SessionDecision Request(string clientId, PackageContentRef? content = null) =>
        Scheduler.Request(new SessionRequest(clientId, content ?? Package()));

    /// <summary>Asks, expects Join, and returns the decision with the fake sender serving it.</summary>
    public (SessionDecision Decision, FakeMulticastSession Sender) Join(string clientId, PackageContentRef? content = null)
    {
        var decision = Request(clientId, content);
        Assert.True(decision.Kind == SessionDecisionKind.Join, $"{clientId}: expected Join, got {decision.Kind}: {decision.Reason}");
        return (decision, Factory.ForSession(decision.SessionId!.Value));
    }

    public SessionSnapshot Session(uint sessionId) => Scheduler.GetSessions().First(s => s.SessionId == sessionId);

    public SessionClientSnapshot Client(uint sessionId, string clientId) => Session(sessionId).Clients.Single(c => c.ClientId == clientId);

    public void Advance(TimeSpan by)
    {
        Time.Advance(by);
        Scheduler.Tick();
    }

    public void Dispose()
    {
        Scheduler.Dispose();
        Locks.Dispose();
    }
}
