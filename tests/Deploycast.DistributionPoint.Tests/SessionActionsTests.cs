using Deploycast.DistributionPoint.Sessions;
using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;
using Deploycast.DistributionPoint.Tests.Fakes;

namespace Deploycast.DistributionPoint.Tests;

/// <summary>An administrator's actions on sessions: start a scheduled session now, disconnect a client.</summary>
public sealed class SessionActionsTests : IDisposable
{
    private readonly SchedulerFixture _dp = new(MulticastSettings.Default with { ScheduledMulticast = true, MinimumSessionSize = 10, SessionStartDelayMinutes = 30 });

    public void Dispose() => _dp.Dispose();

    [Fact]
    public void StartNow_WaitingScheduledSession_StartsWithTheWaitingClients_WhoJoinAtTheirNextRequest()
    {
        Assert.Equal(SessionDecisionKind.Wait, _dp.Request("client-a").Kind);
        Assert.Equal(SessionDecisionKind.Wait, _dp.Request("client-b").Kind);
        var key = Assert.Single(_dp.Scheduler.GetSessions()).Key;

        var result = _dp.Scheduler.StartNow(key);

        Assert.Equal(SessionActionOutcome.Done, result.Outcome);
        var sender = Assert.Single(_dp.Factory.Started);
        Assert.Equal(2, sender.Plan.MinReceivers);
        Assert.Equal(MulticastSessionState.Running, Assert.Single(_dp.Scheduler.GetSessions()).State);
        Assert.Single(_dp.Status.WithId(StatusMessageIds.SessionStartedByAdministrator));
        Assert.Equal(SessionDecisionKind.Join, _dp.Request("client-a").Kind);
    }

    [Fact]
    public void StartNow_RunningOrUnknownSession_ChangesNothing()
    {
        _dp.Request("client-a");
        var key = Assert.Single(_dp.Scheduler.GetSessions()).Key;
        Assert.Equal(SessionActionOutcome.Done, _dp.Scheduler.StartNow(key).Outcome);

        Assert.Equal(SessionActionOutcome.Conflict, _dp.Scheduler.StartNow(key).Outcome);
        Assert.Equal(SessionActionOutcome.NotFound, _dp.Scheduler.StartNow("PS100001-v1-t0-99").Outcome);
        Assert.Single(_dp.Factory.Started);
    }

    [Fact]
    public void Disconnect_RunningClient_IsDismissedThroughTheSender_AndFallsBackToUnicast()
    {
        _dp.Settings = _dp.Settings with { ScheduledMulticast = false };
        var (decision, sender) = _dp.Join("client-a");
        var key = _dp.Session(decision.SessionId!.Value).Key;

        var result = _dp.Scheduler.Disconnect(key, "CLIENT-A");

        Assert.Equal(SessionActionOutcome.Done, result.Outcome);
        Assert.Equal((decision.ReceiverId!.Value, true), Assert.Single(sender.Dismissals));
        var client = _dp.Client(decision.SessionId.Value, "client-a");
        Assert.Equal(SessionClientState.FellBack, client.State);
        Assert.True(client.FellBack);
        Assert.Contains("by an administrator", Assert.Single(_dp.Status.WithId(StatusMessageIds.ClientDisconnected)).Description, StringComparison.Ordinal);
        Assert.Equal(SessionDecisionKind.Unicast, _dp.Request("client-a").Kind);
        Assert.Equal(SessionActionOutcome.Conflict, _dp.Scheduler.Disconnect(key, "client-a").Outcome);
    }

    [Fact]
    public void Disconnect_MulticastOnlyPackage_ClientIsDisconnectedWithoutUnicast()
    {
        _dp.Settings = _dp.Settings with { ScheduledMulticast = false };
        var package = SchedulerFixture.Package(only: true);
        var (decision, sender) = _dp.Join("client-a", package);

        Assert.Equal(SessionActionOutcome.Done, _dp.Scheduler.Disconnect(_dp.Session(decision.SessionId!.Value).Key, "client-a").Outcome);

        Assert.False(Assert.Single(sender.Dismissals).FallBackToUnicast);
        Assert.Equal(SessionClientState.Disconnected, _dp.Client(decision.SessionId.Value, "client-a").State);
        Assert.Equal(SessionDecisionKind.Refused, _dp.Request("client-a", package).Kind);
    }

    [Fact]
    public void Disconnect_UnknownClient_IsNotFound()
    {
        _dp.Request("client-a");
        var key = Assert.Single(_dp.Scheduler.GetSessions()).Key;

        Assert.Equal(SessionActionOutcome.NotFound, _dp.Scheduler.Disconnect(key, "client-z").Outcome);
    }
}
