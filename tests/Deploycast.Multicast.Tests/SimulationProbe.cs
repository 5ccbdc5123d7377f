using Deploycast.Multicast.Sending;
using Deploycast.Multicast.Simulation;
using Xunit.Abstractions;

namespace Deploycast.Multicast.Tests;

public sealed class SimulationProbe(ITestOutputHelper output)
{
    [Theory]
    [InlineData(0.0, 4)]
    [InlineData(0.01, 4)]
    [InlineData(0.05, 4)]
    public void Probe_Bottleneck(double loss, int receivers)
    {
        var content = new byte[256 << 20];
        new Random(5).NextBytes(content);
        using var transfer = new SimulatedTransfer(content, SenderOptions.Default with { MinReceivers = receivers }, 5);
        for (var i = 0; i < receivers; i++)
        {
            transfer.AddReceiver(new LinkProfile { Loss = loss, Rate = 200e6, QueueLimit = TimeSpan.FromMilliseconds(10) });
        }

        Assert.True(transfer.Run(TimeSpan.FromMinutes(10)));
        var s = transfer.Sender.GetSummary(transfer.Clock.GetTimestamp());
        var last = transfer.Receivers.Max(r => r.FinishedAt!.Value);
        output.WriteLine($"loss {loss} elapsed {s.Elapsed.TotalSeconds:0.000}s last {last.TotalSeconds:0.000} goodput {content.Length * 8 / s.Elapsed.TotalSeconds / 1e6:0.0} Mbit/s ({content.Length * 8 / s.Elapsed.TotalSeconds / 200e6:P1}) wire/file {s.BytesOnWire / (double)content.Length:0.000} parity {s.ParitySymbolsSent} repair {s.RepairSymbolsSent} data {s.DataSymbolsSent} decreases {s.RateDecreases} rate {s.RateBitsPerSecond / 1e6:0.0} dropped {transfer.Network.Dropped} status {s.StatusPacketsReceived}");
        foreach (var r in s.Receivers)
        {
            output.WriteLine($"  {r.ReceiverId:x8} {r.State} loss {r.LongRunLoss:P2} recent {r.RecentLoss:P2} qd {r.QueueDelay.TotalMilliseconds}ms rtt {r.RoundTrip?.TotalMilliseconds} done {r.CompletedAfter}");
        }
    }
}
