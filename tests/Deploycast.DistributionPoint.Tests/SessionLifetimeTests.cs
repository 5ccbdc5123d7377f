using Deploycast.DistributionPoint.Sessions;
using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;
using Deploycast.DistributionPoint.Tests.Fakes;
using Deploycast.Multicast.Sending;

namespace Deploycast.DistributionPoint.Tests;

public sealed class SessionLifetimeTests : IDisposable
{
    private readonly SchedulerFixture _dp = new(MulticastSettings.Default with
    {
        // One pair only, so a test can see whether an ended session gave it back.
        AddressRangeEnd = "239.255.42.1",
        PortRangeEnd = 63000,
    });

    public void Dispose() => _dp.Dispose();

    private bool PairIsFree()
    {
        using var lease = new GroupAllocator(_dp.Locks.Path).TryAcquire(_dp.Settings);
        return lease is not null;
    }

    private (SessionDecision Decision, FakeMulticastSession Sender) JoinAndComplete(string clientId)
    {
        var (decision, sender) = _dp.Join(clientId);
        sender.Raise(ReceiverEventKind.Joined, decision.ReceiverId!.Value);
        sender.Raise(ReceiverEventKind.Completed, decision.ReceiverId.Value);
        _dp.Scheduler.Tick();
        return (decision, sender);
    }

    [Fact]
    public void SessionWhoseClientsAreDone_EndsAfterTheIdleTimeout_NotBefore()
    {
        var (_, sender) = JoinAndComplete("client-a");

        _dp.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, sender.StopCalls);
        Assert.Equal(MulticastSessionState.Running, _dp.Session(sender.SessionId).State);
        Assert.False(PairIsFree());

        _dp.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, sender.StopCalls);
        Assert.Equal(1, sender.DisposeCalls);
        var ended = _dp.Session(sender.SessionId);
        Assert.Equal(MulticastSessionState.Ended, ended.State);
        Assert.Equal(_dp.Time.GetUtcNow(), ended.Ended);
        Assert.Equal(SessionClientState.Completed, Assert.Single(ended.Clients).State);
        var status = Assert.Single(_dp.Status.WithId(StatusMessageIds.SessionEnded));
        Assert.Contains("1 of 1 client(s) completed", status.Description, StringComparison.Ordinal);
        Assert.True(PairIsFree());
    }

    [Fact]
    public void IdleTimeout_FollowsTheSetting()
    {
        _dp.Settings = _dp.Settings with { SessionIdleTimeout = TimeSpan.FromSeconds(5) };
        var (_, sender) = JoinAndComplete("client-a");

        _dp.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, sender.StopCalls);
        _dp.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, sender.StopCalls);
    }

    [Fact]
    public void RequestWhileIdle_KeepsTheSessionForTheNewcomer()
    {
        var (_, sender) = JoinAndComplete("client-a");
        _dp.Advance(TimeSpan.FromSeconds(50));

        var late = _dp.Request("client-b");
        Assert.Equal(sender.SessionId, late.SessionId);
        sender.Raise(ReceiverEventKind.Joined, late.ReceiverId!.Value);
        _dp.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(0, sender.StopCalls);

        sender.Raise(ReceiverEventKind.Completed, late.ReceiverId.Value);
        _dp.Scheduler.Tick();
        _dp.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, sender.StopCalls);
        _dp.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, sender.StopCalls);
    }

    [Fact]
    public void SessionWithAnActiveClient_RunsPastTheIdleTimeout()
    {
        var (decision, sender) = _dp.Join("client-a");
        sender.Raise(ReceiverEventKind.Joined, decision.ReceiverId!.Value);

        _dp.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal(0, sender.StopCalls);
        Assert.Equal(SessionClientState.Receiving, _dp.Client(sender.SessionId, "client-a").State);
    }

    [Fact]
    public void SessionThatFailsOnItsOwn_IsReported_AndItsGroupReleased()
    {
        var (decision, sender) = _dp.Join("client-a");
        sender.IsFinished = true;
        sender.Failure = "sendmsg: Network is unreachable";

        _dp.Scheduler.Tick();

        var failed = _dp.Session(sender.SessionId);
        Assert.Equal(MulticastSessionState.Failed, failed.State);
        Assert.Equal("sendmsg: Network is unreachable", failed.Failure);
        Assert.Equal(SessionClientState.Lost, Assert.Single(failed.Clients).State);
        var status = Assert.Single(_dp.Status.WithId(StatusMessageIds.SessionFailed));
        Assert.Equal(StatusSeverity.Error, status.Severity);
        Assert.Contains("Network is unreachable", status.Description, StringComparison.Ordinal);
        Assert.Equal(failed.Key, status.SessionKey);
        Assert.Equal((0, 1), (sender.StopCalls, sender.DisposeCalls));
        Assert.True(PairIsFree());

        // The client asks again and gets a new session on the freed pair.
        var again = _dp.Request("client-a");
        Assert.Equal(SessionDecisionKind.Join, again.Kind);
        Assert.NotEqual(decision.SessionId, again.SessionId);
    }

    [Fact]
    public void SessionThatEndsOnItsOwn_IsEnded_WithItsLastEventsApplied()
    {
        var (decision, sender) = _dp.Join("client-a");
        sender.Raise(ReceiverEventKind.Completed, decision.ReceiverId!.Value);
        sender.IsFinished = true;

        _dp.Scheduler.Tick();

        var ended = _dp.Session(sender.SessionId);
        Assert.Equal(MulticastSessionState.Ended, ended.State);
        Assert.Equal(SessionClientState.Completed, Assert.Single(ended.Clients).State);
        Assert.Single(_dp.Status.WithId(StatusMessageIds.SessionEnded));
        Assert.Empty(_dp.Status.WithId(StatusMessageIds.SessionFailed));
        Assert.True(PairIsFree());
    }

    [Fact]
    public void ClientTheSenderNeverHears_IsLostAfterTheJoinTimeout_AndFreesItsSlot()
    {
        _dp.Settings = _dp.Settings with { MaximumClients = 1 };
        var (_, sender) = _dp.Join("client-a");

        _dp.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromSeconds(1));
        Assert.Equal(SessionClientState.Joined, _dp.Client(sender.SessionId, "client-a").State);
        Assert.Equal(SessionDecisionKind.Busy, _dp.Request("client-b").Kind);

        _dp.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(SessionClientState.Lost, _dp.Client(sender.SessionId, "client-a").State);
        Assert.Equal("client-a", Assert.Single(_dp.Status.WithId(StatusMessageIds.ClientLost)).ClientId);
        Assert.Equal(SessionDecisionKind.Join, _dp.Request("client-b").Kind);
    }

    [Fact]
    public void EndedSessions_TheLast50AreKept_MostRecentFirst()
    {
        for (var i = 0; i < 52; i++)
        {
            var (_, sender) = _dp.Join($"client-{i}", SchedulerFixture.Package($"PS{i:D6}"));
            sender.IsFinished = true;
            _dp.Scheduler.Tick();
        }

        var sessions = _dp.Scheduler.GetSessions();

        Assert.Equal(50, sessions.Count);
        Assert.All(sessions, s => Assert.Equal(MulticastSessionState.Ended, s.State));
        Assert.Equal("PS000051", sessions[0].PackageId);
        Assert.Equal("PS000002", sessions[^1].PackageId);
    }

    [Fact]
    public void DisablingMulticast_EndsAScheduledSessionThatHasNotStarted()
    {
        _dp.Settings = _dp.Settings with { ScheduledMulticast = true };
        Assert.Equal(SessionDecisionKind.Wait, _dp.Request("client-a").Kind);

        _dp.Settings = _dp.Settings with { Enabled = false };
        _dp.Advance(TimeSpan.FromMinutes(20));

        Assert.Empty(_dp.Factory.Started);
        Assert.Equal(MulticastSessionState.Ended, Assert.Single(_dp.Scheduler.GetSessions()).State);
        Assert.True(PairIsFree());
        Assert.Equal(SessionDecisionKind.Unicast, _dp.Request("client-a").Kind);
    }

    [Fact]
    public void Dispose_StopsEverySession_AndRefusesLaterRequests()
    {
        _dp.Settings = _dp.Settings with { AddressRangeEnd = "239.255.42.2" };
        var (_, first) = _dp.Join("client-a", SchedulerFixture.Package("PS1"));
        var (_, second) = _dp.Join("client-b", SchedulerFixture.Package("PS2"));

        _dp.Scheduler.Dispose();

        Assert.Equal((1, 1), (first.StopCalls, first.DisposeCalls));
        Assert.Equal((1, 1), (second.StopCalls, second.DisposeCalls));
        Assert.All(_dp.Scheduler.GetSessions(), s => Assert.Equal(MulticastSessionState.Ended, s.State));
        Assert.Equal(2, _dp.Status.WithId(StatusMessageIds.SessionEnded).Count);
        Assert.Throws<ObjectDisposedException>(() => _dp.Request("client-c"));
        Assert.True(PairIsFree());
    }

    [Fact]
    public void EndedEncryptedSession_ClearsItsKey()
    {
        var decision = _dp.Request("client-a", SchedulerFixture.Package(encrypt: true));
        var sender = _dp.Factory.Last;
        sender.IsFinished = true;

        _dp.Scheduler.Tick();

        Assert.Contains(decision.Key!, b => b != 0); // the client's copy is its own
        Assert.All(sender.Plan.Key!, b => Assert.Equal(0, b));
    }
}
