namespace Deploycast.Multicast.Sending;

/// <summary>What a finished (or running) send did.</summary>
public sealed record SenderSummary(
    long FileSize,
    TimeSpan Elapsed,
    long DatagramsSent,
    long BytesOnWire,
    long DataSymbolsSent,
    long ParitySymbolsSent,
    long RepairSymbolsSent,
    long StatusPacketsReceived,
    long PacketsDropped,
    double RateBitsPerSecond,
    int RateDecreases,
    IReadOnlyList<ReceiverReport> Receivers)
{
    /// <summary>File bytes per second of transfer time.</summary>
    public double GoodputBytesPerSecond => Elapsed > TimeSpan.Zero ? FileSize / Elapsed.TotalSeconds : 0;

    /// <summary>True when every receiver that joined finished with the whole file.</summary>
    public bool AllReceiversComplete => Receivers.Count > 0 && Receivers.All(r => r.CompletedAfter is not null);
}
