using Deploycast.Protocol.Packets;

namespace Deploycast.Multicast.Sending;

/// <summary>Receiver bookkeeping, feedback merging, rate control and slow-receiver detection.</summary>
public sealed partial class SenderSession
{
    private static readonly TimeSpan ControlInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan SlowStartControlInterval = TimeSpan.FromMilliseconds(25); // slow start grows on every round of reports
    private static readonly TimeSpan SlowAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AckFor = TimeSpan.FromSeconds(1);

    /// <summary>How far behind the last status sequence a status may be and still be a late packet of the same run.</summary>
    private const uint RestartWindow = 65536;

    private void HandleStatus(uint receiverId, uint sequence, in StatusMessage status, long now)
    {
        if (!_receivers.TryGetValue(receiverId, out var receiver))
        {
            if (status.State == ReceiverState.Left || _ending is not null)
            {
                return;
            }

            receiver = new ReceiverRecord(receiverId, now);
            _receivers.Add(receiverId, receiver);
            if (status.PreviousReceiverId != 0 && _receivers.TryGetValue(status.PreviousReceiverId, out var previous) && previous.CompletedTimestamp == 0)
            {
                // The same machine restarted and resumed: its old record is not a failure, just an earlier name.
                previous.State = ReceiverState.Left;
                previous.Replaced = true;
                _pendingEvents.Add(new ReceiverEvent(ReceiverEventKind.Joined, receiverId, $"receiver {receiverId:x8} resumed what {previous.Id:x8} had received"));
            }
            else
            {
                _pendingEvents.Add(new ReceiverEvent(ReceiverEventKind.Joined, receiverId, $"receiver {receiverId:x8} joined"));
            }
            _nextAnnounce = now;
        }
        else if (_ending is null && IsRestart(receiver, sequence, status.State))
        {
            if (!Restart(receiver, now))
            {
                receiver.LastSequence = sequence;
                receiver.LastHeard = now;
                return; // dismissed: it stays out, and is told so again
            }
        }
        else if (sequence <= receiver.LastSequence)
        {
            return; // a duplicate or an older status overtaken by a newer one
        }

        receiver.LastSequence = sequence;
        receiver.LastHeard = now;
        receiver.BlocksDone = status.BlocksDone;
        receiver.RateBitsPerSecond = status.RateKilobitsPerSecond * 1000d;
        receiver.RecentLoss = status.RecentLoss / 10000d;
        receiver.LongRunLoss = status.LongRunLoss / 10000d;
        receiver.QueueDelayMicroseconds = status.QueueDelayMicroseconds;
        receiver.HighestSequence = status.HighestSequence;
        receiver.ReportTimestamp = now;
        if (status.EchoSendTime != 0)
        {
            var roundTrip = unchecked(MicrosecondsOf(now) - status.EchoSendTime - status.EchoHoldTime);
            if (roundTrip < 10_000_000)
            {
                receiver.RoundTripMicroseconds = roundTrip;
            }
        }

        _reportsSinceControl = true;
        switch (status.State)
        {
            case ReceiverState.Complete:
                if (receiver.CompletedTimestamp == 0)
                {
                    receiver.CompletedTimestamp = now;
                    receiver.State = ReceiverState.Complete;
                    _pendingEvents.Add(new ReceiverEvent(ReceiverEventKind.Completed, receiverId, $"receiver {receiverId:x8} has the whole file"));
                }

                RequestAck(receiver, now);
                return;
            case ReceiverState.Left:
                if (receiver.IsActive)
                {
                    receiver.State = ReceiverState.Left;
                    _pendingEvents.Add(new ReceiverEvent(ReceiverEventKind.Left, receiverId, $"receiver {receiverId:x8} left without the whole file"));
                }

                RequestAck(receiver, now);
                return;
        }

        if (!receiver.IsActive)
        {
            if (receiver.Dismissed)
            {
                RepeatDismiss(receiver, now); // it still receives: it missed every dismissal, or it restarted
            }

            return;
        }

        receiver.State = status.State;
        MergeNeeds(receiver, status);
    }

    /// <summary>
    /// Whether a status comes from a new run of a receiver the sender already knows under this id (a distribution
    /// point assigns ids, so a client that reboots and asks again keeps its id; with its block map lost it starts
    /// over). Statuses of one run carry strictly increasing sequence numbers that start at a random value below 2^31
    /// and never wrap (one status per 25 ms would take 19 months to reach 2^32), so no serial-number arithmetic is
    /// needed: a sequence more than <see cref="RestartWindow"/> behind the last cannot be a reordered or duplicated
    /// packet of the same run. A newer sequence starts a new run too when the record had ended by the receiver's own
    /// report (complete, or left) and the status says it receives again: one run never goes back from those states.
    /// </summary>
    private static bool IsRestart(ReceiverRecord receiver, uint sequence, ReceiverState state)
    {
        if (sequence < receiver.LastSequence)
        {
            return receiver.LastSequence - sequence > RestartWindow && !receiver.Replaced;
        }

        return sequence > receiver.LastSequence
            && state is ReceiverState.Joining or ReceiverState.Receiving
            && !receiver.IsActive && !receiver.Lost && !receiver.Dismissed && !receiver.Replaced;
    }

    /// <summary>
    /// Starts the record of a restarted receiver over: false when the slow-client policy dismissed it, which a restart
    /// does not undo (it is told again that it was dismissed).
    /// </summary>
    private bool Restart(ReceiverRecord receiver, long now)
    {
        _receiverRestarts++;
        if (receiver.Dismissed)
        {
            _pendingEvents.Add(new ReceiverEvent(ReceiverEventKind.Restarted, receiver.Id, $"receiver {receiver.Id:x8} restarted; it stays disconnected"));
            RepeatDismiss(receiver, now);
            return false;
        }

        var was = receiver.Lost ? "lost" : receiver.State switch
        {
            ReceiverState.Complete => "complete",
            ReceiverState.Left => "gone",
            _ => "receiving",
        };
        receiver.State = ReceiverState.Joining;
        receiver.Lost = false;
        receiver.CompletedTimestamp = 0;
        receiver.AckUntil = 0;
        receiver.TroubleSince = 0;
        receiver.Congested = false;
        receiver.RoundTripMicroseconds = 0;

        // Slow stays: its path did not change by restarting, so it should not pace the group until found slow again.
        _pendingEvents.Add(new ReceiverEvent(ReceiverEventKind.Restarted, receiver.Id, $"receiver {receiver.Id:x8} restarted (it was {was}) and receives again"));
        _nextAnnounce = now;
        return true;
    }

    /// <summary>Sends the dismissal again for a second, to a dismissed receiver that still reports as receiving.</summary>
    private void RepeatDismiss(ReceiverRecord receiver, long now)
    {
        if (_ending is not null || receiver.DismissUntil >= now)
        {
            return;
        }

        receiver.DismissUntil = now + Ticks(AckFor);
        receiver.NextDismiss = now;
        _nextDismiss = now;
    }

    private void RequestAck(ReceiverRecord receiver, long now)
    {
        receiver.AckUntil = now + Ticks(AckFor);
        if (_nextAck == 0)
        {
            _nextAck = now;
        }
    }

    private void MergeNeeds(ReceiverRecord receiver, in StatusMessage status)
    {
        for (var i = 0; i < status.RangeCount; i++)
        {
            var range = status.GetRange(i);
            var end = Math.Min((long)range.Start + range.Count, SentFrontier);
            for (var block = (long)range.Start; block < end; block++)
            {
                var b = (int)block;

                // Symbols of this block were sent after the newest packet the receiver had seen: they are in flight,
                // and its next status will say whether they were enough.
                if (_lastSentSequence[b] > status.HighestSequence)
                {
                    continue;
                }

                var k = _layout.SourceSymbols(b);
                var need = Math.Min(range.Need, k);
                if (_layout.IsManifestBlock(b) || (!receiver.Slow && need < k))
                {
                    _fastRepairs.Add(b, need);
                }
                else
                {
                    _slowRepairs.Add(b, need);
                }
            }
        }
    }

    private void CheckReceivers(long now)
    {
        if (now < _nextStatusCheck)
        {
            return;
        }

        _nextStatusCheck = now + Ticks(TimeSpan.FromMilliseconds(10));
        var timeout = Ticks(_options.ReceiverTimeout);
        foreach (var receiver in _receivers.Values)
        {
            if (receiver.IsActive && now - receiver.LastHeard > timeout)
            {
                receiver.State = ReceiverState.Left;
                receiver.Lost = true;
                _pendingEvents.Add(new ReceiverEvent(ReceiverEventKind.Lost, receiver.Id, $"receiver {receiver.Id:x8} has not reported for {_options.ReceiverTimeout.TotalSeconds:0} s"));
            }
        }

        if (_options.EndWhenReceiversDone && _ending is null && _receivers.Count > 0 && _receivers.Values.All(r => !r.IsActive))
        {
            BeginEnd(_receivers.Values.Any(r => r.CompletedTimestamp != 0) ? Protocol.Packets.EndReason.Completed : Protocol.Packets.EndReason.Failed);
            return;
        }

        if (State == SessionState.Transferring && _reportsSinceControl && now - _lastControl >= Ticks(_rate.InSlowStart ? SlowStartControlInterval : ControlInterval))
        {
            ControlStep(now);
        }
    }

    private void ControlStep(long now)
    {
        // A sender that could not keep up with its own rate (CPU, socket) learns nothing from a higher one.
        var seconds = (double)(now - _lastControl) / _time.TimestampFrequency;
        if (seconds > 0 && _dataBytesSinceControl * 8 / seconds < 0.8 * _rate.Rate)
        {
            _appLimited = true;
        }

        _dataBytesSinceControl = 0;
        _reportsSinceControl = false;
        _lastControl = now;
        var interval = StatusInterval();
        var staleAfter = Ticks(interval * 4) + Ticks(TimeSpan.FromMilliseconds(100));
        Span<long> delays = stackalloc long[Math.Min(_receivers.Count, 1024)];
        Span<double> deliveries = stackalloc double[delays.Length];
        var pacing = 0;
        var congested = 0;
        var troubled = 0;
        uint maxRoundTrip = 0;

        // Slow receivers pace the group only when nobody else is left to.
        var includeSlow = !_receivers.Values.Any(r => r.IsActive && !r.Slow);
        foreach (var receiver in _receivers.Values)
        {
            // A report counts as congestion for the rate only if it measured traffic sent after the last decrease (its
            // loss window is at least 256 packets); otherwise one episode would cut the rate twice. Slow-receiver
            // detection looks at every fresh report: a receiver behind a deep queue sees the decrease late.
            var fresh = receiver.IsActive && now - receiver.ReportTimestamp <= staleAfter;
            receiver.InTrouble = fresh && _rate.IsCongested(receiver.QueueDelayMicroseconds, receiver.RecentLoss, receiver.LongRunLoss);
            receiver.Congested = receiver.InTrouble && (int)(receiver.HighestSequence - _sequenceAtDecrease) > 256;
            if (!fresh || (receiver.Slow && !includeSlow) || pacing == delays.Length)
            {
                continue;
            }

            deliveries[pacing] = receiver.RateBitsPerSecond / Math.Max(0.5, 1 - receiver.LongRunLoss);
            delays[pacing++] = receiver.QueueDelayMicroseconds;
            congested += receiver.Congested ? 1 : 0;
            troubled += receiver.InTrouble ? 1 : 0;
            maxRoundTrip = Math.Max(maxRoundTrip, receiver.RoundTripMicroseconds);
        }

        if (pacing == 0)
        {
            return;
        }

        var half = (pacing + 1) / 2;
        var span = delays[..pacing];
        span.Sort();
        var groupDelay = span[pacing - half];
        var groupCongested = congested >= half;
        var reaction = Ticks(interval * 2) + Ticks(TimeSpan.FromMicroseconds(maxRoundTrip)) + Ticks(ControlInterval);
        var delivered = deliveries[..pacing];
        delivered.Sort();
        if (_rate.Update(now, groupDelay, groupCongested, _appLimited, reaction, delivered[pacing / 2]))
        {
            _sequenceAtDecrease = _sequence;
        }

        _appLimited = false;
        DetectSlowReceivers(now, pacing, troubled);
    }

    /// <summary>
    /// Flags a receiver slow after <see cref="SlowAfter"/> of trouble (congestion, or loss well above the group's) that
    /// began and ends while fewer than half of the other pacing receivers were in trouble. The clock restarts only when
    /// the receiver itself is out of trouble: the group's own congestion episodes, in which the receiver is one of many,
    /// neither start nor stop it. (Restarting it then, as before stop 9, let a lone 20 Mbit/s host among two fast ones go
    /// unflagged for a whole session: its vote and one fast host's made every probe of the fast link a group episode.)
    /// </summary>
    private void DetectSlowReceivers(long now, int pacing, int troubled)
    {
        if (pacing < 2)
        {
            return;
        }

        var sharedLoss = SharedLoss();
        foreach (var receiver in _receivers.Values)
        {
            if (!receiver.IsActive || receiver.Slow)
            {
                continue;
            }

            var lossy = receiver.LongRunLoss > Math.Max(0.05, 3 * sharedLoss);
            if (!receiver.InTrouble && !lossy)
            {
                receiver.TroubleSince = 0;
                continue;
            }

            var others = pacing - 1;
            var othersInTrouble = troubled - (receiver.InTrouble ? 1 : 0);
            var alone = lossy || othersInTrouble * 2 < others;
            if (!alone)
            {
                continue;
            }

            if (receiver.TroubleSince == 0)
            {
                receiver.TroubleSince = now;
            }
            else if (now - receiver.TroubleSince >= Ticks(SlowAfter))
            {
                receiver.Slow = true;
                var why = lossy
                    ? $"loses {receiver.LongRunLoss:P1} of packets while the group shares {sharedLoss:P1}"
                    : $"queueing delay {receiver.QueueDelayMicroseconds / 1000.0:0.0} ms and {receiver.RecentLoss:P1} recent loss while the group is not congested";
                _pendingEvents.Add(new ReceiverEvent(ReceiverEventKind.Slow, receiver.Id, $"receiver {receiver.Id:x8} is slow: {why}; it no longer paces the group"));
            }
        }
    }

    private sealed class ReceiverRecord(uint id, long joinTimestamp)
    {
        public uint Id { get; } = id;
        public long JoinTimestamp { get; } = joinTimestamp;
        public ReceiverState State { get; set; } = ReceiverState.Joining;
        public uint LastSequence { get; set; }
        public long LastHeard { get; set; } = joinTimestamp;
        public long ReportTimestamp { get; set; }
        public long BlocksDone { get; set; }
        public double RateBitsPerSecond { get; set; }
        public double RecentLoss { get; set; }
        public double LongRunLoss { get; set; }
        public uint QueueDelayMicroseconds { get; set; }
        public uint HighestSequence { get; set; }
        public uint RoundTripMicroseconds { get; set; }
        public bool Congested { get; set; }
        public bool InTrouble { get; set; }
        public long TroubleSince { get; set; }
        public bool Slow { get; set; }
        public bool Lost { get; set; }
        public bool Replaced { get; set; }
        public long CompletedTimestamp { get; set; }
        public long AckUntil { get; set; }
        public bool Dismissed { get; set; }
        public bool DismissFallBack { get; set; }
        public long DismissUntil { get; set; }
        public long NextDismiss { get; set; }

        public bool IsActive => State is ReceiverState.Joining or ReceiverState.Receiving;

        public ReceiverReport ToReport(int totalBlocks, long transferStart, long frequency) => new(
            Id,
            Dismissed ? "dismissed" : Lost ? "lost" : State.ToString().ToLowerInvariant(),
            BlocksDone,
            totalBlocks,
            LongRunLoss,
            RateBitsPerSecond,
            RecentLoss,
            TimeSpan.FromMicroseconds(QueueDelayMicroseconds),
            RoundTripMicroseconds > 0 ? TimeSpan.FromMicroseconds(RoundTripMicroseconds) : null,
            Slow,
            CompletedTimestamp != 0 ? TimeSpan.FromSeconds((double)Math.Max(0, CompletedTimestamp - transferStart) / frequency) : null);
    }
}
