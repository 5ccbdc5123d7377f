using Deploycast.Multicast.Receiving;
using Deploycast.Multicast.Sending;
using Deploycast.Multicast.Simulation;

namespace Deploycast.Multicast.Tests;

/// <summary>
/// A client that reboots keeps the receiver id its distribution point gave it; without its block map it starts over,
/// and its status sequence starts at a new random value, lower or higher than the last one the sender saw.
/// </summary>
public sealed class ReceiverRestartTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);
    private const uint High = 3_000_000_000;
    private const uint Low = 1_000;

    private static ReceiverOptions WithId(uint id, uint statusSequenceStart) =>
        ReceiverOptions.Default with { ReceiverId = id, StatusSequenceStart = statusSequenceStart };

    [Fact]
    public void Receiver_RestartedMidTransfer_WithTheSameIdAndAFreshStore_FinishesByteEqual()
    {
        using var transfer = new SimulatedTransfer(SimulatedTransferTests.Content(8_000_000, 21),
            SenderOptions.Default with { MaxRate = 20_000_000, MinReceivers = 2 }, 21);
        var steady = transfer.AddReceiver(new LinkProfile { Loss = 0.01 }, options: WithId(201, Low));
        var rebooting = transfer.AddReceiver(new LinkProfile { Loss = 0.01 }, options: WithId(202, High));

        // The new run's sequence is far below the old one: before the fix its every status was dropped as a duplicate.
        transfer.Crash(rebooting, at: TimeSpan.FromSeconds(2), restartAt: TimeSpan.FromSeconds(2.5), loseStore: true, restartOptions: WithId(202, Low));

        Assert.True(transfer.Run(Limit));
        Assert.True(steady.Session!.Succeeded, steady.Session.Failure);
        Assert.True(rebooting.Session!.Succeeded, $"the restarted receiver failed: {rebooting.Session.Failure}");
        Assert.Equal(0, rebooting.Session.BytesResumed);
        Assert.True(transfer.Content.AsSpan().SequenceEqual(rebooting.Store.Data), "the restarted receiver wrote different bytes");
        Assert.True(transfer.Content.AsSpan().SequenceEqual(steady.Store.Data));

        var summary = transfer.Sender.GetSummary(transfer.Clock.GetTimestamp());
        Assert.True(summary.AllReceiversComplete, "the sender does not count every receiver complete");
        Assert.Equal(2, summary.Receivers.Count);
        Assert.Equal(1, summary.ReceiverRestarts);
        Assert.Single(transfer.Events, e => e.Kind == ReceiverEventKind.Restarted && e.ReceiverId == 202);
        Assert.DoesNotContain(transfer.Events, e => e.Kind == ReceiverEventKind.Lost);
        Assert.Equal(Protocol.Packets.EndReason.Completed, transfer.Sender.EndReason);
    }

    [Theory]
    [InlineData(High, Low)]
    [InlineData(Low, High)]
    public void CompletedReceiver_RestartedWithAFreshStore_ReceivesTheFileAgain(uint firstRun, uint secondRun)
    {
        // A distribution point's session stays open after its clients are done; a client that lost the image asks again.
        using var transfer = new SimulatedTransfer(SimulatedTransferTests.Content(2_000_000, 22),
            SenderOptions.Default with { MaxRate = 20_000_000, EndWhenReceiversDone = false }, 22);
        var receiver = transfer.AddReceiver(new LinkProfile { Loss = 0.01 }, options: WithId(301, firstRun));
        transfer.Crash(receiver, at: TimeSpan.FromSeconds(3), restartAt: TimeSpan.FromSeconds(3.5), loseStore: true, restartOptions: WithId(301, secondRun));
        transfer.At(TimeSpan.FromSeconds(10), transfer.Sender.Finish);

        Assert.True(transfer.Run(Limit));
        var events = transfer.Events.ToList();
        var firstCompleted = events.FindIndex(e => e.Kind == ReceiverEventKind.Completed);
        var restarted = events.FindIndex(e => e.Kind == ReceiverEventKind.Restarted && e.ReceiverId == 301);
        Assert.True(firstCompleted >= 0 && restarted > firstCompleted, $"events: {string.Join("; ", events.Select(e => e.Detail))}");
        Assert.True(receiver.Session!.Succeeded, $"the restarted receiver failed: {receiver.Session.Failure}");
        Assert.True(receiver.FinishedAt < TimeSpan.FromSeconds(10), $"it finished at {receiver.FinishedAt}, not before the session ended");
        Assert.True(transfer.Content.AsSpan().SequenceEqual(receiver.Store.Data), "the restarted receiver wrote different bytes");

        var summary = transfer.Sender.GetSummary(transfer.Clock.GetTimestamp());
        Assert.Equal(1, summary.ReceiverRestarts);
        Assert.Equal("complete", Assert.Single(summary.Receivers).State);
        Assert.Equal(2, transfer.Events.Count(e => e.Kind == ReceiverEventKind.Completed));
        Assert.Equal(Protocol.Packets.EndReason.Completed, transfer.Sender.EndReason);
    }

    [Theory]
    [InlineData(High, Low)]
    [InlineData(Low, High)]
    public void DismissedReceiver_ThatRestarts_StaysDismissed_AndIsToldSoAgain(uint firstRun, uint secondRun)
    {
        var options = SenderOptions.Default with { MinReceivers = 3, MaxRate = 10_000_000 };
        using var transfer = new SimulatedTransfer(SimulatedTransferTests.Content(6_000_000, 23), options, 23);
        var fast1 = transfer.AddReceiver(LinkProfile.Perfect, options: WithId(101, Low));
        var fast2 = transfer.AddReceiver(LinkProfile.Perfect, options: WithId(102, Low));
        var slow = transfer.AddReceiver(new LinkProfile { Loss = 0.3 }, options: WithId(103, firstRun));
        transfer.At(TimeSpan.FromMilliseconds(100), () => Assert.True(transfer.Sender.Dismiss(103, fallBackToUnicast: true)));

        // Restarted well after the sender stopped repeating the dismissal (1 s).
        transfer.Crash(slow, at: TimeSpan.FromSeconds(1.5), restartAt: TimeSpan.FromSeconds(2), loseStore: true, restartOptions: WithId(103, secondRun));

        Assert.True(transfer.Run(Limit));
        Assert.True(slow.Session!.Dismissed, $"the restarted receiver was not told it is dismissed; it ended with: {slow.Session.Failure}");
        Assert.True(slow.Session.FallBackToUnicast);
        Assert.True(slow.FinishedAt < TimeSpan.FromSeconds(3.5), $"the restarted receiver learned it is dismissed only at {slow.FinishedAt}");
        Assert.True(fast1.Session!.Succeeded && fast2.Session!.Succeeded);
        Assert.True(transfer.Content.AsSpan().SequenceEqual(fast1.Store.Data));

        var summary = transfer.Sender.GetSummary(transfer.Clock.GetTimestamp());
        Assert.Equal("dismissed", summary.Receivers.Single(r => r.ReceiverId == 103).State);
        Assert.Null(summary.Receivers.Single(r => r.ReceiverId == 103).CompletedAfter);
        Assert.Single(transfer.Events, e => e.Kind == ReceiverEventKind.Dismissed && e.ReceiverId == 103);
        Assert.Equal(Protocol.Packets.EndReason.Completed, transfer.Sender.EndReason);
    }
}
