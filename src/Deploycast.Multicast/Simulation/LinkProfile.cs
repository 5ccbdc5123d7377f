namespace Deploycast.Multicast.Simulation;

/// <summary>
/// How a simulated link treats datagrams. Loss is independent (<see cref="Loss"/>) or in bursts (a Gilbert-Elliott
/// channel: <see cref="BurstStart"/> is the chance a good packet starts a burst, <see cref="BurstLength"/> the mean
/// burst length, every packet in a burst is lost).
/// </summary>
public sealed record LinkProfile
{
    public static LinkProfile Perfect { get; } = new();

    public double Loss { get; init; }
    public double BurstStart { get; init; }
    public double BurstLength { get; init; } = 1;
    public double Duplicate { get; init; }

    /// <summary>Chance a datagram is held back by up to <see cref="ReorderDelay"/>, so later ones overtake it.</summary>
    public double Reorder { get; init; }
    public TimeSpan ReorderDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Chance one byte of a datagram's payload is flipped (a path that corrupts without detection).</summary>
    public double Corrupt { get; init; }

    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(0.2);

    /// <summary>Bottleneck rate in bits per second, null for none.</summary>
    public double? Rate { get; init; }

    /// <summary>Queue in front of the bottleneck, as time at <see cref="Rate"/>; arrivals that would wait longer are dropped.</summary>
    public TimeSpan QueueLimit { get; init; } = TimeSpan.FromMilliseconds(20);
}
