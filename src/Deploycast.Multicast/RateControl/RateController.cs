namespace Deploycast.Multicast.RateControl;

/// <summary>
/// Finds and holds the group's bottleneck rate. The primary signal is queueing delay, which grows when the
/// sender outruns a bottleneck and is not affected by random loss; the second is loss in excess of a receiver's
/// long-run loss (random loss is steady, congestion loss comes and goes with the rate). Signals are voted over the
/// receivers that pace the group, so one receiver alone in its trouble does not slow the others.
/// The rate grows while the group's queueing delay is under half the target, holds between half and the whole
/// target (a small standing queue keeps the bottleneck busy), and drops multiplicatively above it.
/// </summary>
internal sealed class RateController
{
    private const double SlowStartGain = 1.35;
    private const double FastProbeGain = 1.04;
    private const double PlateauGain = 1.002;
    private const double PlateauLow = 0.97;
    private const double PlateauHigh = 1.02;
    private const double ProbeGain = 1.01;
    private const double DecreaseFactor = 0.9;
    private const double SlowStartExitFactor = 0.7;

    private readonly double _ceiling;
    private readonly double _floor;
    private long _lastDecreaseTimestamp;

    public RateController(double initialRate, double floor, double? ceiling, TimeSpan targetDelay)
    {
        _floor = floor;
        _ceiling = ceiling ?? 100_000_000_000d;
        Rate = Math.Clamp(initialRate, _floor, _ceiling);
        TargetDelayMicroseconds = (long)targetDelay.TotalMicroseconds;
    }

    /// <summary>The current sending rate in bits per second.</summary>
    public double Rate { get; private set; }

    /// <summary>True until the first congestion signal.</summary>
    public bool InSlowStart { get; private set; } = true;

    /// <summary>Queueing delay the controller holds under.</summary>
    public long TargetDelayMicroseconds { get; }

    /// <summary>Decreases so far (for the summary and tests).</summary>
    public int Decreases { get; private set; }

    /// <summary>Whether one receiver's report says its path is congested.</summary>
    public bool IsCongested(uint queueDelayMicroseconds, double recentLoss, double longRunLoss) =>
        queueDelayMicroseconds > TargetDelayMicroseconds
        || (IsLossCongested(recentLoss, longRunLoss) && (queueDelayMicroseconds > TargetDelayMicroseconds / 4 || recentLoss - longRunLoss > 0.1));

    /// <summary>Loss well above the receiver's own long-run loss.</summary>
    public static bool IsLossCongested(double recentLoss, double longRunLoss) =>
        recentLoss - longRunLoss > Math.Max(0.02, (0.25 * longRunLoss) + 0.01);

    /// <summary>The rate just before the last decrease: where the bottleneck was last found.</summary>
    public double LastPeakRate { get; private set; }

    /// <summary>
    /// One control step, taken when fresh reports have arrived. Growth is shaped around the rate where the last
    /// congestion happened (as TCP CUBIC does): fast well below it, a plateau close to it, a gentle probe beyond it,
    /// so the sender spends most of its time near the bottleneck instead of sawing between 90% and 105% of it.
    /// </summary>
    /// <param name="now">Timestamp of the decision.</param>
    /// <param name="groupDelayMicroseconds">The queueing delay that half the pacing receivers meet or exceed.</param>
    /// <param name="groupCongested">True when enough pacing receivers report congestion measured after the last decrease.</param>
    /// <param name="appLimited">True when the sender had nothing to send, so a higher rate proves nothing.</param>
    /// <param name="reactionTicks">Least time between two decreases.</param>
    /// <param name="deliveryRate">The pacing receivers' median receive rate corrected for their own loss, or 0.</param>
    public bool Update(long now, long groupDelayMicroseconds, bool groupCongested, bool appLimited, long reactionTicks, double deliveryRate = 0)
    {
        // Slow start leaves at a quarter of the target delay: its growth overshoots by the time reports catch up.
        if (groupCongested || (InSlowStart && groupDelayMicroseconds > TargetDelayMicroseconds / 4))
        {
            if (Decreases == 0 || now - _lastDecreaseTimestamp >= reactionTicks)
            {
                LastPeakRate = Rate;

                // While a queue stands, what the receivers get is what the bottleneck carries: aim just under it, so
                // the queue drains slowly while the link stays busy (a deeper cut empties it and idles the link until
                // the rate grows back; in the lab 0.98x/0.95 gave 88.0 % of the link at 1 % loss, 0.99x/0.98 88.8 %),
                // within [0.7, 0.98] of the current rate (delivery rates are noisy on a busy host).
                var cut = InSlowStart ? SlowStartExitFactor : DecreaseFactor;
                Rate = deliveryRate > 0 ? Math.Clamp(0.99 * deliveryRate, Rate * SlowStartExitFactor, Rate * 0.98) : Rate * cut;
                InSlowStart = false;
                _lastDecreaseTimestamp = now;
                Decreases++;
                Rate = Math.Clamp(Rate, _floor, _ceiling);
                return true;
            }
        }
        else if (!appLimited && groupDelayMicroseconds < TargetDelayMicroseconds / 2)
        {
            Rate *= InSlowStart ? SlowStartGain : GrowthFactor(groupDelayMicroseconds);
        }

        Rate = Math.Clamp(Rate, _floor, _ceiling);
        return false;
    }

    private double GrowthFactor(long groupDelayMicroseconds)
    {
        var position = LastPeakRate > 0 ? Rate / LastPeakRate : 0;
        if (position is > PlateauLow and < PlateauHigh)
        {
            return PlateauGain;
        }

        // An empty queue means the bottleneck idles: probe faster than when a small queue already stands.
        return groupDelayMicroseconds < TargetDelayMicroseconds / 4 && position <= PlateauLow ? FastProbeGain : ProbeGain;
    }
}
