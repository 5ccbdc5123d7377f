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
    /// <summary>
    /// Times a known receiver started a new run under the same id (a client rebooted and asked its distribution point
    /// again) and the sender started its record over; each is also a <see cref="ReceiverEventKind.Restarted"/> event.
    /// </summary>
    public int ReceiverRestarts { get; init; }

    /// <summary>File bytes per second of transfer time.</summary>
    public double GoodputBytesPerSecond => Elapsed > TimeSpan.Zero ? FileSize / Elapsed.TotalSeconds : 0;

    /// <summary>True when every receiver that joined finished with the whole file.</summary>
    public bool AllReceiversComplete => Receivers.Count > 0 && Receivers.All(r => r.CompletedAfter is not null);
}
