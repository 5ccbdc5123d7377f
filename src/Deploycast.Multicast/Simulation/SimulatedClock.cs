namespace Deploycast.Multicast.Simulation;

/// <summary>A clock that only moves when the simulation moves it.</summary>
public sealed class SimulatedClock : TimeProvider
{
    private long _now = 1;

    public override long TimestampFrequency => 10_000_000;

    public override long GetTimestamp() => _now;

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(_now);

    /// <summary>Moves the clock forward to <paramref name="timestamp"/> (never backward).</summary>
    public void AdvanceTo(long timestamp) => _now = Math.Max(_now, timestamp);

    public TimeSpan Elapsed => TimeSpan.FromTicks(_now);
}
