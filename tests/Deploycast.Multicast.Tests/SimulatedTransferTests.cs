using Deploycast.Multicast.Receiving;
using Deploycast.Multicast.Sending;
using Deploycast.Multicast.Simulation;

namespace Deploycast.Multicast.Tests;

public sealed class SimulatedTransferTests
{
    private static byte[] Content(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static SimulatedTransfer RunWith(LinkProfile link, int receivers, int size, int seed, SenderOptions? options = null, TimeSpan? limit = null)
    {
        var transfer = new SimulatedTransfer(Content(size, seed), options ?? SenderOptions.Default with { MinReceivers = receivers }, seed);
        for (var i = 0; i < receivers; i++)
        {
            transfer.AddReceiver(link);
        }

        Assert.True(transfer.Run(limit ?? TimeSpan.FromMinutes(5)), $"the transfer did not finish in simulated time (now {transfer.Clock.Elapsed})");
        return transfer;
    }

    private static void AssertAllByteEqual(SimulatedTransfer transfer)
    {
        foreach (var receiver in transfer.Receivers)
        {
            var session = receiver.Session!;
            Assert.True(session.Succeeded, $"receiver {receiver.Index} failed: {session.Failure}");
            Assert.Equal(transfer.Content, receiver.Store.Data);
        }

        Assert.True(transfer.Sender.GetSummary(transfer.Clock.GetTimestamp()).AllReceiversComplete);
    }

    [Theory]
    [InlineData(0.01, 1)]
    [InlineData(0.05, 2)]
    [InlineData(0.20, 3)]
    public void TenReceivers_WithRandomLoss_AllEndByteEqual(double loss, int seed)
    {
        using var transfer = RunWith(new LinkProfile { Loss = loss }, receivers: 10, size: 3_000_000, seed);
        AssertAllByteEqual(transfer);
    }
}
