using System.Net;
using Deploycast.DistributionPoint.Sessions;
using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;
using Deploycast.DistributionPoint.Tests.Fakes;
using Deploycast.Multicast.Sending;

namespace Deploycast.DistributionPoint.Tests;

public sealed class SessionSchedulerTests : IDisposable
{
    private readonly SchedulerFixture _dp = new();

    public void Dispose() => _dp.Dispose();

    [Fact]
    public void AutoCast_FirstRequest_StartsASessionAndJoinsIt()
    {
        var decision = _dp.Request("client-a");

        Assert.Equal(SessionDecisionKind.Join, decision.Kind);
        var sender = Assert.Single(_dp.Factory.Started);
        var plan = sender.Plan;
        Assert.Equal(sender.SessionId, decision.SessionId);
        Assert.Equal(plan.Group, decision.Group);
        Assert.Equal(IPAddress.Loopback, plan.Interface);
        Assert.Equal(IPAddress.Loopback, decision.Interface);
        Assert.Equal("239.255.42.1", plan.Group.Address.ToString());
        Assert.InRange(plan.Group.Port, 63000, 64000);
        Assert.Equal(1, plan.MinReceivers);
        Assert.Equal(TimeSpan.FromSeconds(2), plan.MaxWait);
        Assert.Equal(0, plan.Tier);
        Assert.Null(plan.MaxRate);
        Assert.Equal("PS100001", plan.Content.PackageId);
        Assert.NotEqual(0u, decision.ReceiverId);
        Assert.True(decision.UnicastAllowed);
    }

    [Fact]
    public void AutoCast_SecondClient_JoinsTheSameSessionInProgress_WithItsOwnReceiverId()
    {
        var first = _dp.Request("client-a");
        var second = _dp.Request("client-b");

        Assert.Single(_dp.Factory.Started);
        Assert.Equal(SessionDecisionKind.Join, second.Kind);
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.Equal(first.Group, second.Group);
        Assert.NotEqual(first.ReceiverId, second.ReceiverId);
        Assert.NotEqual(0u, second.ReceiverId);
    }

    [Fact]
    public void SameClientAskingAgain_GetsTheSameSessionAndReceiverId()
    {
        var first = _dp.Request("client-a");
        var again = _dp.Request("CLIENT-A");

        Assert.Single(_dp.Factory.Started);
        Assert.Equal(SessionDecisionKind.Join, again.Kind);
        Assert.Equal((first.SessionId, first.ReceiverId, first.Group), (again.SessionId, again.ReceiverId, again.Group));
        Assert.Single(_dp.Session(first.SessionId!.Value).Clients);
        Assert.Single(_dp.Status.WithId(StatusMessageIds.ClientJoined));
    }

    [Fact]
    public void DifferentPackageVersions_GetSeparateSessionsOnDifferentGroups()
    {
        var v1 = _dp.Request("client-a", SchedulerFixture.Package(version: 1));
        var v2 = _dp.Request("client-b", SchedulerFixture.Package(version: 2));

        Assert.Equal(2, _dp.Factory.Started.Count);
        Assert.NotEqual(v1.SessionId, v2.SessionId);
        Assert.NotEqual(v1.Group!.Address, v2.Group!.Address);
    }

    [Fact]
    public void EncryptedPackage_GetsAFresh32ByteKeyPerSession_InThePlanAndTheJoin()
    {
        var a = _dp.Request("client-a", SchedulerFixture.Package("PS1", encrypt: true));
        var b = _dp.Request("client-b", SchedulerFixture.Package("PS1", encrypt: true));
        var other = _dp.Request("client-c", SchedulerFixture.Package("PS2", encrypt: true));

        Assert.Equal(32, a.Key!.Length);
        Assert.Equal(_dp.Factory.ForSession(a.SessionId!.Value).KeyAtStart, a.Key);
        Assert.Equal(a.Key, b.Key);
        Assert.NotEqual(a.Key, other.Key);
        Assert.Contains(a.Key, x => x != 0);
        Assert.True(_dp.Session(a.SessionId.Value).Encrypted);
    }

    [Fact]
    public void ClearPackage_GetsNoKey()
    {
        var decision = _dp.Request("client-a", SchedulerFixture.Package(encrypt: false));

        Assert.Null(decision.Key);
        Assert.Null(_dp.Factory.Last.Plan.Key);
        Assert.False(_dp.Session(decision.SessionId!.Value).Encrypted);
    }

    [Fact]
    public void ScheduledCast_StartsWhenTheMinimumSessionSizeIsReached_BeforeTheDelay()
    {
        _dp.Settings = _dp.Settings with { ScheduledMulticast = true, MinimumSessionSize = 3, SessionStartDelayMinutes = 15 };

        var a = _dp.Request("client-a");
        var b = _dp.Request("client-b");
        _dp.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(SessionDecisionKind.Wait, a.Kind);
        Assert.Equal(SessionDecisionKind.Wait, b.Kind);
        Assert.Equal(TimeSpan.FromSeconds(5), a.RetryAfter);
        Assert.Null(a.SessionId);
        Assert.Empty(_dp.Factory.Started);
        Assert.Equal(MulticastSessionState.Waiting, Assert.Single(_dp.Scheduler.GetSessions()).State);

        var c = _dp.Request("client-c");

        Assert.Equal(SessionDecisionKind.Join, c.Kind);
        var plan = Assert.Single(_dp.Factory.Started).Plan;
        Assert.Equal(3, plan.MinReceivers);
        Assert.Equal(TimeSpan.FromSeconds(10), plan.MaxWait);
        var aAgain = _dp.Request("client-a");
        Assert.Equal(SessionDecisionKind.Join, aAgain.Kind);
        Assert.Equal(c.SessionId, aAgain.SessionId);
        Assert.Single(_dp.Status.WithId(StatusMessageIds.SessionScheduled));
        Assert.Equal(["client-a", "client-b"], _dp.Status.WithId(StatusMessageIds.ClientWaiting).Select(m => m.ClientId));
    }

    [Fact]
    public void ScheduledCast_StartsAtTheFirstTickAfterTheDelay_WhenTooFewClientsCame()
    {
        _dp.Settings = _dp.Settings with { ScheduledMulticast = true, MinimumSessionSize = 20, SessionStartDelayMinutes = 15 };
        _dp.Request("client-a");
        _dp.Time.Advance(TimeSpan.FromMinutes(5));
        _dp.Request("client-b");

        _dp.Advance(TimeSpan.FromMinutes(9) + TimeSpan.FromSeconds(59));
        Assert.Empty(_dp.Factory.Started);

        _dp.Advance(TimeSpan.FromSeconds(1));

        var sender = Assert.Single(_dp.Factory.Started);
        Assert.Equal(2, sender.Plan.MinReceivers);
        var a = _dp.Request("client-a");
        Assert.Equal(SessionDecisionKind.Join, a.Kind);
        Assert.Equal(sender.SessionId, a.SessionId);
        var session = _dp.Session(sender.SessionId);
        Assert.Equal(MulticastSessionState.Running, session.State);
        Assert.Equal(_dp.Time.GetUtcNow(), session.Started);
        Assert.All(session.Clients, c => Assert.Equal(SessionClientState.Joined, c.State));
    }

    [Fact]
    public void ScheduledCast_WaitHint_IsTheRemainingDelayUpToFiveSeconds()
    {
        _dp.Settings = _dp.Settings with { ScheduledMulticast = true, SessionStartDelayMinutes = 1 };
        _dp.Request("client-a");
        _dp.Time.Advance(TimeSpan.FromSeconds(58));

        var decision = _dp.Request("client-a");

        Assert.Equal(SessionDecisionKind.Wait, decision.Kind);
        Assert.Equal(TimeSpan.FromSeconds(2), decision.RetryAfter);
        Assert.True(decision.UnicastAllowed);
    }

    [Fact]
    public void ScheduledCast_NewcomerAfterTheStart_JoinsAtOnce()
    {
        _dp.Settings = _dp.Settings with { ScheduledMulticast = true, MinimumSessionSize = 1 };
        var first = _dp.Request("client-a");

        var late = _dp.Request("client-b");

        Assert.Equal(SessionDecisionKind.Join, first.Kind);
        Assert.Equal(SessionDecisionKind.Join, late.Kind);
        Assert.Equal(first.SessionId, late.SessionId);
        Assert.Single(_dp.Factory.Started);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void MaximumClients_Reached_AnswersBusy_WithUnicastAllowedUnlessMulticastOnly(bool multicastOnly, bool unicastAllowed)
    {
        _dp.Settings = _dp.Settings with { MaximumClients = 2 };
        var package = SchedulerFixture.Package(only: multicastOnly);
        _dp.Request("client-a", package);
        _dp.Request("client-b", SchedulerFixture.Package("PS200000"));

        var third = _dp.Request("client-c", package);

        Assert.Equal(SessionDecisionKind.Busy, third.Kind);
        Assert.Equal(TimeSpan.FromSeconds(30), third.RetryAfter);
        Assert.Equal(unicastAllowed, third.UnicastAllowed);
        Assert.Contains("maximum of 2", third.Reason, StringComparison.Ordinal);
        Assert.Equal("client-c", Assert.Single(_dp.Status.WithId(StatusMessageIds.RequestBusy)).ClientId);

        // Clients already counted keep their place.
        Assert.Equal(SessionDecisionKind.Join, _dp.Request("client-a", package).Kind);
    }

    [Fact]
    public void MaximumClients_ASlotFreesWhenAClientCompletes()
    {
        _dp.Settings = _dp.Settings with { MaximumClients = 1 };
        var (a, sender) = _dp.Join("client-a");
        Assert.Equal(SessionDecisionKind.Busy, _dp.Request("client-b").Kind);

        sender.Raise(ReceiverEventKind.Completed, a.ReceiverId!.Value);
        _dp.Scheduler.Tick();

        Assert.Equal(SessionDecisionKind.Join, _dp.Request("client-b").Kind);
    }

    [Fact]
    public void MaximumClients_CountsWaitingClientsOfScheduledSessions()
    {
        _dp.Settings = _dp.Settings with { ScheduledMulticast = true, MaximumClients = 2, MinimumSessionSize = 2 };
        _dp.Request("client-a", SchedulerFixture.Package("PS1"));
        _dp.Request("client-b", SchedulerFixture.Package("PS2"));

        Assert.Equal(SessionDecisionKind.Busy, _dp.Request("client-c", SchedulerFixture.Package("PS1")).Kind);
    }

    [Fact]
    public void RangeExhausted_AnswersBusy_NamingTheRanges()
    {
        _dp.Settings = _dp.Settings with { AddressRangeEnd = "239.255.42.1", PortRangeEnd = 63000 };
        _dp.Request("client-a", SchedulerFixture.Package("PS1"));

        var decision = _dp.Request("client-b", SchedulerFixture.Package("PS2"));

        Assert.Equal(SessionDecisionKind.Busy, decision.Kind);
        Assert.Contains("239.255.42.1-239.255.42.1", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("63000-63000", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(60), decision.RetryAfter);
        Assert.True(decision.UnicastAllowed);
        Assert.Single(_dp.Factory.Started);
        Assert.Equal(StatusSeverity.Warning, Assert.Single(_dp.Status.WithId(StatusMessageIds.RangeExhausted)).Severity);
    }

    [Fact]
    public void MulticastDisabled_AnswersUnicast()
    {
        _dp.Settings = _dp.Settings with { Enabled = false };

        var decision = _dp.Request("client-a");

        Assert.Equal(SessionDecisionKind.Unicast, decision.Kind);
        Assert.True(decision.UnicastAllowed);
        Assert.Contains("not enabled", decision.Reason, StringComparison.Ordinal);
        Assert.Empty(_dp.Factory.Started);
        Assert.Single(_dp.Status.WithId(StatusMessageIds.RequestUnicast));
    }

    [Fact]
    public void PackageNotAllowingMulticast_AnswersUnicast()
    {
        var decision = _dp.Request("client-a", SchedulerFixture.Package(allow: false));

        Assert.Equal(SessionDecisionKind.Unicast, decision.Kind);
        Assert.Contains("does not allow multicast", decision.Reason, StringComparison.Ordinal);
        Assert.Empty(_dp.Factory.Started);
    }

    [Fact]
    public void MulticastOnlyPackage_WithMulticastDisabled_IsRefused()
    {
        _dp.Settings = _dp.Settings with { Enabled = false };

        var decision = _dp.Request("client-a", SchedulerFixture.Package(only: true));

        Assert.Equal(SessionDecisionKind.Refused, decision.Kind);
        Assert.False(decision.UnicastAllowed);
        Assert.Contains("multicast-only", decision.Reason, StringComparison.Ordinal);
        var status = Assert.Single(_dp.Status.WithId(StatusMessageIds.RequestRefused));
        Assert.Equal(StatusSeverity.Error, status.Severity);
        Assert.Equal("client-a", status.ClientId);
    }

    [Fact]
    public void DisablingMulticast_DoesNotCutAClientAlreadyInASession()
    {
        var first = _dp.Request("client-a");
        _dp.Settings = _dp.Settings with { Enabled = false };

        Assert.Equal(first.SessionId, _dp.Request("client-a").SessionId);
        Assert.Equal(SessionDecisionKind.Unicast, _dp.Request("client-b").Kind);
    }

    [Fact]
    public void InvalidSettings_SendNewClientsToUnicast_AndReportTheSetting()
    {
        _dp.Settings = _dp.Settings with { PortRangeStart = 10 };

        var decision = _dp.Request("client-a");
        _dp.Request("client-b");

        Assert.Equal(SessionDecisionKind.Unicast, decision.Kind);
        Assert.Contains("PortRangeStart", decision.Reason, StringComparison.Ordinal);
        var status = Assert.Single(_dp.Status.WithId(StatusMessageIds.SettingsInvalid));
        Assert.Contains("PortRangeStart", status.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void FactoryFailure_AnswersBusy_ReportsTheFailure_AndFreesTheGroup()
    {
        _dp.Settings = _dp.Settings with { AddressRangeEnd = "239.255.42.1", PortRangeEnd = 63000 };
        _dp.Factory.FailNextStart = "no such interface";

        var decision = _dp.Request("client-a");

        Assert.Equal(SessionDecisionKind.Busy, decision.Kind);
        Assert.Contains("no such interface", decision.Reason, StringComparison.Ordinal);
        var status = Assert.Single(_dp.Status.WithId(StatusMessageIds.SessionFailed));
        Assert.Equal(StatusSeverity.Error, status.Severity);
        Assert.Equal(MulticastSessionState.Failed, Assert.Single(_dp.Scheduler.GetSessions()).State);
        Assert.Equal(SessionDecisionKind.Join, _dp.Request("client-a").Kind); // the only pair was freed
    }

    [Fact]
    public void UnusableLockDirectory_AnswersBusy_AndReportsAnError()
    {
        var notADirectory = Path.Combine(_dp.Locks.Path, "a-file");
        File.WriteAllText(notADirectory, "");
        using var scheduler = new SessionScheduler(() => MulticastSettings.Default, new GroupAllocator(notADirectory), _dp.Factory, _dp.Status, _dp.Time,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<SessionScheduler>.Instance);

        var decision = scheduler.Request(new SessionRequest("client-a", SchedulerFixture.Package()));

        Assert.Equal(SessionDecisionKind.Busy, decision.Kind);
        Assert.True(decision.UnicastAllowed);
        Assert.Equal(StatusSeverity.Error, Assert.Single(_dp.Status.WithId(StatusMessageIds.LockDirectoryUnusable)).Severity);
        Assert.Empty(_dp.Factory.Started);
    }

    [Fact]
    public void StatusMessages_NameTheSessionAndClient()
    {
        var (decision, sender) = _dp.Join("client-a");
        sender.Raise(ReceiverEventKind.Joined, decision.ReceiverId!.Value);
        sender.Raise(ReceiverEventKind.Completed, decision.ReceiverId.Value);
        _dp.Scheduler.Tick();

        var key = _dp.Session(sender.SessionId).Key;
        Assert.StartsWith("PS100001-v1-t0-", key, StringComparison.Ordinal);
        var messages = _dp.Status.Messages;
        Assert.All(messages, m => Assert.Equal("SessionScheduler", m.Component));
        Assert.All(messages, m => Assert.Equal(key, m.SessionKey));
        Assert.Equal(
            [StatusMessageIds.SessionStarted, StatusMessageIds.ClientJoined, StatusMessageIds.ClientReceiving, StatusMessageIds.ClientCompleted],
            messages.Select(m => m.MessageId));
        Assert.Equal("client-a", _dp.Status.WithId(StatusMessageIds.ClientCompleted)[0].ClientId);
        Assert.All(messages, m => Assert.Equal(StatusSeverity.Informational, m.Severity));
        Assert.All(messages, m => Assert.Equal(_dp.Time.GetUtcNow(), m.Time));
    }

    [Fact]
    public void GetSessions_ShowsClientProgressAndRatesFromTheSendersReports()
    {
        var (a, sender) = _dp.Join("client-a");
        var (b, _) = _dp.Join("client-b");
        sender.Report(
            FakeMulticastSession.Receiver(a.ReceiverId!.Value, blocksDone: 25, rate: 80_000_000),
            FakeMulticastSession.Receiver(b.ReceiverId!.Value, blocksDone: 100, rate: 90_000_000, completedAfter: TimeSpan.FromSeconds(9)));
        _dp.Scheduler.Tick();

        var session = _dp.Session(sender.SessionId);
        Assert.Equal(MulticastSessionState.Running, session.State);
        Assert.Equal(50_000_000, session.RateBitsPerSecond);
        Assert.Equal("239.255.42.1", session.GroupAddress);
        Assert.Equal(sender.Plan.Group.Port, session.Port);
        var clientA = session.Clients[0];
        Assert.Equal(("client-a", a.ReceiverId.Value, SessionClientState.Receiving), (clientA.ClientId, clientA.ReceiverId, clientA.State));
        Assert.Equal(0.25, clientA.Progress);
        Assert.Equal(80_000_000, clientA.RateBitsPerSecond);
        Assert.Equal(0.01, clientA.Loss);
        Assert.Equal(_dp.Time.GetUtcNow(), clientA.JoinedAt);
        var clientB = session.Clients[1];
        Assert.Equal(SessionClientState.Completed, clientB.State);
        Assert.Equal(1.0, clientB.Progress);
        Assert.Equal(_dp.Time.GetUtcNow(), clientB.CompletedAt);
    }

    [Fact]
    public void SessionChanged_IsRaisedForStateChanges_NotForRetries()
    {
        var (a, sender) = _dp.Join("client-a");
        var afterJoin = _dp.Changes.Count;
        Assert.Equal(SessionClientState.Joined, Assert.Single(_dp.Changes[^1].Clients).State);
        _dp.Request("client-a");
        _dp.Scheduler.Tick();
        Assert.Equal(afterJoin, _dp.Changes.Count);

        sender.Raise(ReceiverEventKind.Joined, a.ReceiverId!.Value);
        _dp.Scheduler.Tick();

        var change = _dp.Changes[^1];
        Assert.Equal(afterJoin + 1, _dp.Changes.Count);
        Assert.Equal(SessionClientState.Receiving, Assert.Single(change.Clients).State);
    }

    [Fact]
    public void ReceiverEvents_LeftAndLost_EndTheClientsParticipation()
    {
        var (a, sender) = _dp.Join("client-a");
        var (b, _) = _dp.Join("client-b");
        sender.Raise(ReceiverEventKind.Joined, a.ReceiverId!.Value);
        sender.Raise(ReceiverEventKind.Left, a.ReceiverId.Value, "left without the whole file");
        sender.Raise(ReceiverEventKind.Lost, b.ReceiverId!.Value, "has not reported for 30 s");
        sender.Raise(ReceiverEventKind.Completed, 0xDEAD_BEEF); // nobody's: ignored
        _dp.Scheduler.Tick();

        var session = _dp.Session(sender.SessionId);
        Assert.Equal(SessionClientState.Left, session.Clients[0].State);
        Assert.Equal(SessionClientState.Lost, session.Clients[1].State);
        Assert.Equal("has not reported for 30 s", session.Clients[1].Detail);
        Assert.Single(_dp.Status.WithId(StatusMessageIds.ClientLeft));
        Assert.Single(_dp.Status.WithId(StatusMessageIds.ClientLost));
        Assert.Empty(_dp.Status.WithId(StatusMessageIds.ClientCompleted));
    }

    [Fact]
    public void ReceiverRestarted_AfterCompleting_CountsTheClientActiveAgain()
    {
        var (a, sender) = _dp.Join("client-a");
        sender.Raise(ReceiverEventKind.Joined, a.ReceiverId!.Value);
        sender.Raise(ReceiverEventKind.Completed, a.ReceiverId.Value);
        _dp.Scheduler.Tick();
        Assert.Equal(SessionClientState.Completed, _dp.Client(sender.SessionId, "client-a").State);

        sender.Raise(ReceiverEventKind.Restarted, a.ReceiverId.Value, "receiver restarted (it was complete) and receives again");
        _dp.Scheduler.Tick();

        var client = _dp.Client(sender.SessionId, "client-a");
        Assert.Equal(SessionClientState.Receiving, client.State);
        Assert.Null(client.CompletedAt);
        var status = Assert.Single(_dp.Status.WithId(StatusMessageIds.ClientRestarted));
        Assert.Equal("client-a", status.ClientId);
        Assert.Contains("restarted", status.Description, StringComparison.Ordinal);

        // Asking again while it receives keeps its session and receiver id.
        Assert.Equal(a.ReceiverId, _dp.Request("client-a").ReceiverId);
    }

    [Fact]
    public void ClientBackAfterCompleting_RejoinsWithANewReceiverId()
    {
        var (first, sender) = _dp.Join("client-a");
        sender.Raise(ReceiverEventKind.Completed, first.ReceiverId!.Value);
        _dp.Scheduler.Tick();

        var again = _dp.Request("client-a");

        Assert.Equal(SessionDecisionKind.Join, again.Kind);
        Assert.Equal(first.SessionId, again.SessionId);
        Assert.NotEqual(first.ReceiverId, again.ReceiverId);
        Assert.Equal(SessionClientState.Joined, _dp.Client(sender.SessionId, "client-a").State);
    }

    [Fact]
    public void ConcurrentRequests_NeverExceedMaximumClients_AndStartOneSession()
    {
        _dp.Settings = _dp.Settings with { MaximumClients = 100 };
        var decisions = new SessionDecision[400];

        Parallel.For(0, decisions.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            decisions[i] = _dp.Request($"client-{i}");
            if (i % 3 == 0)
            {
                _dp.Scheduler.Tick();
            }
        });

        var joins = decisions.Where(d => d.Kind == SessionDecisionKind.Join).ToList();
        Assert.Equal(100, joins.Count);
        Assert.Equal(300, decisions.Count(d => d.Kind == SessionDecisionKind.Busy));
        Assert.Single(_dp.Factory.Started);
        Assert.Equal(100, joins.Select(d => d.ReceiverId).Distinct().Count());
    }
}
