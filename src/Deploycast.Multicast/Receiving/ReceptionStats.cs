namespace Deploycast.Multicast.Receiving;

public sealed partial class ReceiverSession
{
    /// <summary>
    /// What the receiver measures for the sender's rate control: loss from gaps in the sender's sequence numbers,
    /// receive rate, and queueing delay as the one-way delay above its recent minimum (clock offsets cancel out).
    /// Queueing delay per report is the smallest delay seen in the interval, which filters out this host's own
    /// scheduling hiccups: a standing queue delays every packet, a hiccup only some.
    /// </summary>
    private sealed class Stats
    {
        private const int BaseBuckets = 10;
        private const int MinLossSample = 256;
        private const uint CalmDelayMicroseconds = 2000;
        private long _lossWindowExpected;
        private long _lossWindowLost;
        private double _recentLoss;
        private readonly long[] _baseMinima = new long[BaseBuckets];
        private long _baseBucketStart;
        private int _baseBucket;
        private bool _anySequence;
        private uint _intervalStartSequence;
        private long _intervalReceived;
        private long _intervalBytes;
        private long _intervalStart;
        private long _intervalMinDelay = long.MaxValue;
        private double _decayedExpected;
        private double _decayedLost;

        public Stats() => Array.Fill(_baseMinima, long.MaxValue);

        public uint HighestSequence { get; private set; }
        public long TotalReceived { get; private set; }
        public uint LastSendTime { get; private set; }
        public long LastDataTimestamp { get; private set; }
        public double LongRunLoss => _decayedExpected > 0 ? _decayedLost / _decayedExpected : 0;

        public void OnSenderPacket(uint sequence, int bytes)
        {
            TotalReceived++;
            _intervalReceived++;
            _intervalBytes += bytes;
            if (!_anySequence)
            {
                _anySequence = true;
                _intervalStartSequence = sequence - 1;
                HighestSequence = sequence;
            }
            else if ((int)(sequence - HighestSequence) > 0)
            {
                HighestSequence = sequence;
            }
        }

        public void OnData(uint nowMicroseconds, uint sendTimeMicroseconds, long now)
        {
            var delay = (long)(int)(nowMicroseconds - sendTimeMicroseconds);
            _intervalMinDelay = Math.Min(_intervalMinDelay, delay);
            LastSendTime = sendTimeMicroseconds == 0 ? 1 : sendTimeMicroseconds;
            LastDataTimestamp = now;
        }

        public (double RecentLoss, double RateBitsPerSecond, uint QueueDelayMicroseconds) Snapshot(long now, uint nowMicroseconds, long frequency)
        {
            var expected = _anySequence ? (long)(HighestSequence - _intervalStartSequence) : 0;
            var lost = Math.Max(0, expected - _intervalReceived);

            // Recent loss over at least MinLossSample packets, so a few random losses in a short interval at a low
            // rate do not read as a burst of congestion.
            _lossWindowExpected += expected;
            _lossWindowLost += lost;
            if (_lossWindowExpected >= MinLossSample)
            {
                _recentLoss = (double)_lossWindowLost / _lossWindowExpected;
                _lossWindowExpected = 0;
                _lossWindowLost = 0;
            }

            var seconds = _intervalStart == 0 ? 0 : (double)(now - _intervalStart) / frequency;
            var rate = seconds > 0 ? _intervalBytes * 8 / seconds : 0;
            uint queueDelay = 0;
            if (_intervalMinDelay != long.MaxValue)
            {
                // Rotate one-second buckets of minima; the base is the least over the last ten seconds.
                if (_baseBucketStart == 0 || nowMicroseconds - (uint)_baseBucketStart > 1_000_000)
                {
                    _baseBucket = (_baseBucket + 1) % BaseBuckets;
                    _baseMinima[_baseBucket] = long.MaxValue;
                    _baseBucketStart = nowMicroseconds == 0 ? 1 : nowMicroseconds;
                }

                _baseMinima[_baseBucket] = Math.Min(_baseMinima[_baseBucket], _intervalMinDelay);
                var baseDelay = long.MaxValue;
                foreach (var minimum in _baseMinima)
                {
                    baseDelay = Math.Min(baseDelay, minimum);
                }

                queueDelay = (uint)Math.Clamp(_intervalMinDelay - baseDelay, 0, uint.MaxValue);
            }

            // Long-run loss counts only calm intervals (no standing queue), so it measures the path's own loss,
            // which proactive parity is sized for, and not the congestion the rate control is there to avoid.
            // It decays by half about every 35 calm reports.
            if (expected > 0 && queueDelay < CalmDelayMicroseconds)
            {
                _decayedExpected = (_decayedExpected * 0.98) + expected;
                _decayedLost = (_decayedLost * 0.98) + lost;
            }

            _intervalStartSequence = HighestSequence;
            _intervalReceived = 0;
            _intervalBytes = 0;
            _intervalStart = now;
            _intervalMinDelay = long.MaxValue;
            return (_recentLoss, rate, queueDelay);
        }
    }
}
