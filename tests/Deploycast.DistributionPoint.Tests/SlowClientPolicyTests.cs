using Deploycast.DistributionPoint.Sessions;
using Deploycast.DistributionPoint.Settings;
using Deploycast.DistributionPoint.Status;
using Deploycast.DistributionPoint.Tests.Fakes;
using Deploycast.Multicast.Sending;

namespace Deploycast.DistributionPoint.Tests;

public sealed class SlowClientPolicyTests : IDisposable
{
    private const long Threshold = 1_000_000;
    private readonly SchedulerFixture _dp = new();

    public void Dispose() => _dp.Dispose();

    private void Use(SlowClientPolicy policy, Func<MulticastSettings, MulticastSettings>? more = null)
    {
        var settings = _dp.Settings with { SlowClientPolicy = policy, SlowClientThreshold = Threshold };
        _dp.Settings = more is null ? settings : more(settings);
        _dp.Settings.ValidateOrThrow();
    }

    /// <summary>A fast and a slow client in one session; the sender flags the slow one and reports both rates.</summary>
    private (uint Fast, uint Slow, FakeMulticastSession Sender) FastAndSlow(double slowRate, PackageContentRef? package = null, bool flagged = true)
    {
        var (fast, sender) = _dp.Join("fast", package);
        var (slow, _) = _dp.Join("slow", package);
        sender.Raise(ReceiverEventKind.Joined, fast.ReceiverId!.Value);
        sender.Raise(ReceiverEventKind.Joined, slow.ReceiverId!.Value);
        if (flagged)
        {
            sender.Raise(ReceiverEventKind.Slow, slow.ReceiverId.Value, "loses 20% of packets while the group shares 0.1%");
        }

        Report(sender, (fast.ReceiverId.Value, 50_000_000, false), (slow.ReceiverId.Value, slowRate, flagged));
        _dp.Scheduler.Tick();
        return (fast.ReceiverId.Value, slow.ReceiverId.Value, sender);
    }

    private static void Report(FakeMulticastSession sender, params (uint Id, double Rate, bool Slow)[] receivers) =>
        sender.Report(receivers.Select(r => FakeMulticastSession.Receiver(r.Id, 40, r.Rate, r.Slow)).ToArray());

    [Fact]
    public void None_SlowClient_IsReportedButStaysInTheSession()
    {
        Use(SlowClientPolicy.None);

        var (_, _, sender) = FastAndSlow(slowRate: 100_000);
        _dp.Scheduler.Tick();

        Assert.Empty(sender.Dismissals);
        Assert.Equal(SessionClientState.Slow, _dp.Client(sender.SessionId, "slow").State);
        var status = Assert.Single(_dp.Status.WithId(StatusMessageIds.ClientSlow));
        Assert.Equal(StatusSeverity.Warning, status.Severity);
        Assert.Equal("slow", status.ClientId);
        Assert.Contains("loses 20% of packets", status.Description, StringComparison.Ordinal);
        Assert.Contains("policy None", status.Description, StringComparison.Ordinal);
        Assert.Equal(sender.SessionId, _dp.Request("slow").SessionId);
    }

    [Fact]
    public void AutoDisconnect_SlowClientUnderTheThreshold_FallsBackToUnicast()
    {
        Use(SlowClientPolicy.AutoDisconnect);

        var (_, slow, sender) = FastAndSlow(slowRate: 400_000);

        Assert.Equal([(slow, true)], sender.Dismissals);
        var client = _dp.Client(sender.SessionId, "slow");
        Assert.Equal(SessionClientState.FellBack, client.State);
        Assert.True(client.FellBack);
        Assert.Equal(SessionClientState.Receiving, _dp.Client(sender.SessionId, "fast").State);
        var status = Assert.Single(_dp.Status.WithId(StatusMessageIds.ClientDisconnected));
        Assert.Contains("falls back to unicast", status.Description, StringComparison.Ordinal);
        var next = _dp.Request("slow");
        Assert.Equal(SessionDecisionKind.Unicast, next.Kind);
        Assert.True(next.UnicastAllowed);
    }

    [Fact]
    public void AutoDisconnect_DisconnectedClientThatRestarts_StaysFallenBack()
    {
        Use(SlowClientPolicy.AutoDisconnect);
        var (_, slow, sender) = FastAndSlow(slowRate: 400_000);

        sender.Raise(ReceiverEventKind.Restarted, slow, "receiver restarted; it stays disconnected");
        _dp.Scheduler.Tick();

        Assert.Equal(SessionClientState.FellBack, _dp.Client(sender.SessionId, "slow").State);
        Assert.Empty(_dp.Status.WithId(StatusMessageIds.ClientRestarted));
        Assert.Equal(SessionDecisionKind.Unicast, _dp.Request("slow").Kind);
    }

    [Fact]
    public void AutoDisconnect_WithFallBackOff_DisconnectsTheClientAndRefusesItsRetry()
    {
        Use(SlowClientPolicy.AutoDisconnect, s => s with { FallBackToUnicast = false });

        var (_, slow, sender) = FastAndSlow(slowRate: 400_000);

        Assert.Equal([(slow, false)], sender.Dismissals);
        var client = _dp.Client(sender.SessionId, "slow");
        Assert.Equal(SessionClientState.Disconnected, client.State);
        Assert.False(client.FellBack);
        var next = _dp.Request("slow");
        Assert.Equal(SessionDecisionKind.Refused, next.Kind);
        Assert.False(next.UnicastAllowed);
    }

    [Fact]
    public void AutoDisconnect_MulticastOnlyPackage_NeverFallsBack()
    {
        Use(SlowClientPolicy.AutoDisconnect);

        var (_, slow, sender) = FastAndSlow(slowRate: 400_000, SchedulerFixture.Package(only: true));

        Assert.Equal([(slow, false)], sender.Dismissals);
        Assert.Equal(SessionClientState.Disconnected, _dp.Client(sender.SessionId, "slow").State);
    }

    [Fact]
    public void AutoDisconnect_SlowClientAboveTheThreshold_StaysUntilItsRateDrops()
    {
        Use(SlowClientPolicy.AutoDisconnect);
        var (fast, slow, sender) = FastAndSlow(slowRate: 3_000_000);
        _dp.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(sender.Dismissals);
        Assert.Equal(SessionClientState.Slow, _dp.Client(sender.SessionId, "slow").State);

        Report(sender, (fast, 50_000_000, false), (slow, 900_000, true));
        _dp.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal([(slow, true)], sender.Dismissals);
    }

    [Fact]
    public void AutoDisconnect_ClientUnderTheThresholdThatIsNotSlow_IsLeftAlone()
    {
        Use(SlowClientPolicy.AutoDisconnect);

        // The whole group runs slowly (a congested link): nobody is slow alone, so nobody is dismissed.
        var (_, _, sender) = FastAndSlow(slowRate: 400_000, flagged: false);

        Assert.Empty(sender.Dismissals);
        Assert.Equal(SessionClientState.Receiving, _dp.Client(sender.SessionId, "slow").State);
    }

    [Fact]
    public void Multistream_TwoTiers_MovesTheSlowClientToASlowSession()
    {
        Use(SlowClientPolicy.Multistream, s => s with { ClientTransferRate = 100_000_000 });

        var (_, slow, fastSession) = FastAndSlow(slowRate: 400_000);

        Assert.Equal([(slow, false)], fastSession.Dismissals);
        var moved = _dp.Client(fastSession.SessionId, "slow");
        Assert.Equal(SessionClientState.Disconnected, moved.State);
        Assert.Equal(1, moved.MovedToTier);
        Assert.Single(_dp.Status.WithId(StatusMessageIds.ClientMovedToTier));

        var next = _dp.Request("slow");

        Assert.Equal(SessionDecisionKind.Join, next.Kind);
        Assert.Equal(1, next.Tier);
        Assert.NotEqual(fastSession.SessionId, next.SessionId);
        Assert.NotEqual(fastSession.Plan.Group, next.Group);
        var slowPlan = _dp.Factory.ForSession(next.SessionId!.Value).Plan;
        Assert.Equal((1, (long?)Threshold, 1), (slowPlan.Tier, slowPlan.MaxRate, slowPlan.MinReceivers));
        Assert.Equal(100_000_000, fastSession.Plan.MaxRate);
        Assert.Equal(fastSession.SessionId, _dp.Request("fast").SessionId);
        Assert.Equal(0, _dp.Request("newcomer").Tier);
    }

    [Fact]
    public void Multistream_TwoTiers_SlowClientInTheSlowestTier_Stays()
    {
        Use(SlowClientPolicy.Multistream);
        FastAndSlow(slowRate: 400_000);
        var inTier1 = _dp.Request("slow");
        var tier1 = _dp.Factory.ForSession(inTier1.SessionId!.Value);

        tier1.Raise(ReceiverEventKind.Joined, inTier1.ReceiverId!.Value);
        tier1.Raise(ReceiverEventKind.Slow, inTier1.ReceiverId.Value);
        Report(tier1, (inTier1.ReceiverId.Value, 100_000, true));
        _dp.Advance(TimeSpan.FromSeconds(1));

        Assert.Empty(tier1.Dismissals);
        Assert.Equal(SessionClientState.Slow, _dp.Client(tier1.SessionId, "slow").State);
        Assert.Contains("slowest tier", _dp.Status.WithId(StatusMessageIds.ClientSlow)[^1].Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Multistream_ThreeTiers_MovesTheClientDownOneTierAtATime()
    {
        Use(SlowClientPolicy.Multistream, s => s with { MultistreamTiers = 3 });

        // 2 Mbit/s: under the medium tier's 4 Mbit/s, so one step down.
        var (_, _, tier0) = FastAndSlow(slowRate: 2_000_000);
        var inTier1 = _dp.Request("slow");
        Assert.Equal(1, inTier1.Tier);
        var tier1 = _dp.Factory.ForSession(inTier1.SessionId!.Value);
        Assert.Equal(4 * Threshold, tier1.Plan.MaxRate);
        Assert.Null(tier0.Plan.MaxRate);

        tier1.Raise(ReceiverEventKind.Joined, inTier1.ReceiverId!.Value);
        tier1.Raise(ReceiverEventKind.Slow, inTier1.ReceiverId.Value);
        Report(tier1, (inTier1.ReceiverId.Value, 500_000, true));
        _dp.Advance(TimeSpan.FromSeconds(1));
        var inTier2 = _dp.Request("slow");

        Assert.Equal([(inTier1.ReceiverId.Value, false)], tier1.Dismissals);
        Assert.Equal(SessionDecisionKind.Join, inTier2.Kind);
        Assert.Equal(2, inTier2.Tier);
        Assert.Equal(3, new[] { tier0.SessionId, inTier1.SessionId, inTier2.SessionId }.Distinct().Count());
        Assert.Equal(Threshold, _dp.Factory.ForSession(inTier2.SessionId!.Value).Plan.MaxRate);
        Assert.Equal(2, _dp.Status.WithId(StatusMessageIds.ClientMovedToTier).Count);
    }

    [Fact]
    public void Multistream_SlowClientFasterThanTheNextTier_StaysPut()
    {
        Use(SlowClientPolicy.Multistream);

        // Slow for its loss, but at 5 Mbit/s a tier capped at 1 Mbit/s would only slow it down.
        var (_, _, sender) = FastAndSlow(slowRate: 5_000_000);

        Assert.Empty(sender.Dismissals);
        Assert.Equal(SessionClientState.Slow, _dp.Client(sender.SessionId, "slow").State);
        Assert.Equal(sender.SessionId, _dp.Request("slow").SessionId);
    }

    [Fact]
    public void Multistream_UnderScheduledCast_TheSlowTierStartsAtOnce()
    {
        Use(SlowClientPolicy.Multistream, s => s with { ScheduledMulticast = true, MinimumSessionSize = 2, SessionStartDelayMinutes = 30 });
        _dp.Request("fast");
        _dp.Request("slow");

        var (_, _, _) = FastAndSlow(slowRate: 400_000);
        var next = _dp.Request("slow");

        Assert.Equal(SessionDecisionKind.Join, next.Kind);
        Assert.Equal(1, next.Tier);
        Assert.Equal(SessionScheduler.AutoCastMaxWait, _dp.Factory.Last.Plan.MaxWait);
    }
}
