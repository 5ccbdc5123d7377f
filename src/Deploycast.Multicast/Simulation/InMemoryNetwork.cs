namespace Deploycast.Multicast.Simulation;

/// <summary>
/// A deterministic in-memory network: one sender, many receivers, a multicast downlink through an optional shared
/// link and a link per receiver, and a unicast uplink per receiver. Every random choice comes from one seeded
/// generator, so a run with the same seed and the same traffic is identical.
/// </summary>
public sealed class InMemoryNetwork
{
    private readonly Random _random;
    private readonly PriorityQueue<Delivery, (long, long)> _events = new();
    private readonly List<LinkState> _downlinks = [];
    private readonly List<LinkState> _uplinks = [];
    private readonly LinkState _shared;
    private long _order;

    public InMemoryNetwork(int seed, LinkProfile? sharedLink = null)
    {
        _random = new Random(seed);
        _shared = new LinkState(sharedLink ?? LinkProfile.Perfect);
    }

    /// <summary>Datagrams the network delivered, dropped and duplicated.</summary>
    public long Delivered { get; private set; }

    public long Dropped { get; private set; }

    public long Duplicated { get; private set; }

    /// <summary>Datagrams receivers sent to the sender.</summary>
    public long Uplinked { get; private set; }

    /// <summary>Adds a receiver port with its own down and up links; returns its index.</summary>
    public int AddReceiver(LinkProfile downlink, LinkProfile? uplink = null)
    {
        _downlinks.Add(new LinkState(downlink));
        _uplinks.Add(new LinkState(uplink ?? LinkProfile.Perfect));
        return _downlinks.Count - 1;
    }

    /// <summary>Cuts a receiver off: from now on nothing reaches it or comes from it.</summary>
    public void Isolate(int receiver)
    {
        _downlinks[receiver].Isolated = true;
        _uplinks[receiver].Isolated = true;
    }

    /// <summary>Time of the next delivery, or long.MaxValue.</summary>
    public long NextEventTime => _events.TryPeek(out _, out var key) ? key.Item1 : long.MaxValue;

    /// <summary>Sends a datagram from the sender to every receiver port.</summary>
    public void Multicast(ReadOnlySpan<byte> datagram, long now, long frequency)
    {
        if (!_shared.TryPass(datagram.Length, now, frequency, _random, out var sharedTime))
        {
            Dropped += _downlinks.Count;
            return;
        }

        for (var i = 0; i < _downlinks.Count; i++)
        {
            Schedule(_downlinks[i], datagram, sharedTime, frequency, receiver: i);
        }
    }

    /// <summary>Sends a datagram from receiver <paramref name="receiver"/> to the sender.</summary>
    public void Unicast(int receiver, ReadOnlySpan<byte> datagram, long now, long frequency)
    {
        Uplinked++;
        Schedule(_uplinks[receiver], datagram, now, frequency, receiver: -1);
    }

    /// <summary>Takes the next delivery due at or before <paramref name="now"/>.</summary>
    public bool TryTakeDue(long now, out int receiver, out byte[] datagram)
    {
        if (_events.TryPeek(out var delivery, out var key) && key.Item1 <= now)
        {
            _events.Dequeue();
            receiver = delivery.Receiver;
            datagram = delivery.Bytes;
            Delivered++;
            return true;
        }

        receiver = 0;
        datagram = [];
        return false;
    }

    private void Schedule(LinkState link, ReadOnlySpan<byte> datagram, long now, long frequency, int receiver)
    {
        if (!link.TryPass(datagram.Length, now, frequency, _random, out var at))
        {
            Dropped++;
            return;
        }

        var profile = link.Profile;
        var copies = profile.Duplicate > 0 && _random.NextDouble() < profile.Duplicate ? 2 : 1;
        Duplicated += copies - 1;
        for (var c = 0; c < copies; c++)
        {
            var when = at;
            if (profile.Reorder > 0 && _random.NextDouble() < profile.Reorder)
            {
                when += (long)(_random.NextDouble() * profile.ReorderDelay.TotalSeconds * frequency);
            }

            var bytes = datagram.ToArray();
            if (profile.Corrupt > 0 && _random.NextDouble() < profile.Corrupt && bytes.Length > 40)
            {
                // Past the header, so the packet still parses and only its content is wrong.
                bytes[_random.Next(40, bytes.Length)] ^= (byte)_random.Next(1, 256);
            }

            _events.Enqueue(new Delivery(receiver, bytes), (when, _order++));
        }
    }

    private readonly record struct Delivery(int Receiver, byte[] Bytes);

    private sealed class LinkState(LinkProfile profile)
    {
        private bool _inBurst;
        private long _busyUntil;

        public LinkProfile Profile { get; } = profile;

        public bool Isolated { get; set; }

        public bool TryPass(int length, long now, long frequency, Random random, out long arrival)
        {
            arrival = 0;
            if (Isolated)
            {
                return false;
            }

            if (Profile.BurstStart > 0)
            {
                _inBurst = _inBurst ? random.NextDouble() >= 1 / Profile.BurstLength : random.NextDouble() < Profile.BurstStart;
                if (_inBurst)
                {
                    return false;
                }
            }

            if (Profile.Loss > 0 && random.NextDouble() < Profile.Loss)
            {
                return false;
            }

            var start = now;
            if (Profile.Rate is { } rate)
            {
                start = Math.Max(now, _busyUntil);
                if (start - now > Profile.QueueLimit.TotalSeconds * frequency)
                {
                    return false; // the bottleneck's queue is full: congestion loss
                }

                _busyUntil = start + (long)((length + 42) * 8 / rate * frequency);
                start = _busyUntil;
            }

            arrival = start + (long)(Profile.Latency.TotalSeconds * frequency);
            return true;
        }
    }
}
