using Deploycast.Multicast.Receiving;
using Deploycast.Multicast.Sending;
using Deploycast.Multicast.Storage;
using Deploycast.Protocol.Manifests;

namespace Deploycast.Multicast.Simulation;

/// <summary>
/// Runs one sender and many receivers over an <see cref="InMemoryNetwork"/> in simulated time: the real protocol
/// cores, no sockets and no threads, so a run is fast and repeatable. Receivers can start late, be killed and restarted.
/// </summary>
public sealed class SimulatedTransfer : IDisposable
{
    private readonly List<SimulatedReceiver> _receivers = [];
    private readonly PriorityQueue<Action, (long, int)> _actions = new();
    private readonly List<ReceiverEvent> _events = [];
    private readonly byte[] _buffer = new byte[Protocol.Packets.PacketHeader.MaxDatagramSize];
    private int _actionOrder;

    /// <param name="content">The file to send.</param>
    /// <param name="senderOptions">The sender's options.</param>
    /// <param name="seed">Seeds the network's randomness and the sender's.</param>
    /// <param name="sharedLink">A link all receivers share (a bottleneck before their own links), or null.</param>
    /// <param name="senderChecksums">Give the sender block checksums to check its reads with (as <c>deploycast send</c>
    /// does), instead of the manifest's SHA-256.</param>
    public SimulatedTransfer(byte[] content, SenderOptions senderOptions, int seed, LinkProfile? sharedLink = null, bool senderChecksums = false)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(senderOptions);
        Content = content;
        Clock = new SimulatedClock();
        Network = new InMemoryNetwork(seed, sharedLink);
        var manifest = TransferManifest.BuildAsync(new MemoryStream(content), SenderSession.BlockSizeFor(senderOptions), null, CancellationToken.None)
            .GetAwaiter().GetResult();
        var checksums = senderChecksums
            ? Enumerable.Range(0, manifest.BlockCount).Select(b => BlockChecksum.Compute(content.AsSpan((int)((long)b * manifest.BlockSize), manifest.BlockLength(b)))).ToArray()
            : null;
        Sender = new SenderSession(manifest, new MemorySenderContent(content, checksums), senderOptions with { RandomSeed = senderOptions.RandomSeed ?? seed }, Clock);
        Seed = seed;
    }

    public byte[] Content { get; }
    public int Seed { get; }
    public SimulatedClock Clock { get; }
    public InMemoryNetwork Network { get; }
    public SenderSession Sender { get; }
    public IReadOnlyList<SimulatedReceiver> Receivers => _receivers;
    public IReadOnlyList<ReceiverEvent> Events => _events;

    /// <summary>When the sender finished, or null.</summary>
    public TimeSpan? SenderFinishedAt { get; private set; }

    /// <summary>Adds a receiver that starts at <paramref name="startAt"/> (default: at once).</summary>
    public SimulatedReceiver AddReceiver(LinkProfile downlink, LinkProfile? uplink = null, ReceiverOptions? options = null, TimeSpan startAt = default)
    {
        var index = Network.AddReceiver(downlink, uplink);
        var receiver = new SimulatedReceiver(index, options ?? ReceiverOptions.Default, new MemoryReceiverStore());
        _receivers.Add(receiver);
        At(startAt, () => Start(receiver));
        return receiver;
    }

    /// <summary>
    /// Kills a receiver at <paramref name="at"/> (its store keeps what it had checkpointed, unless
    /// <paramref name="loseStore"/>: then it restarts with an empty one, as a machine that lost its disk's block map)
    /// and, if given, restarts it, with <paramref name="restartOptions"/> if given.
    /// </summary>
    public void Crash(SimulatedReceiver receiver, TimeSpan at, TimeSpan? restartAt = null, bool loseStore = false, ReceiverOptions? restartOptions = null)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        At(at, () =>
        {
            receiver.Session?.Dispose();
            receiver.Session = null;
            receiver.Crashes++;
            if (loseStore)
            {
                receiver.Store = new MemoryReceiverStore();
            }

            receiver.Options = restartOptions ?? receiver.Options;
        });
        if (restartAt is { } restart)
        {
            At(restart, () => Start(receiver));
        }
    }

    /// <summary>Runs until the sender and every receiver have finished, or until <paramref name="limit"/> of simulated time.</summary>
    public bool Run(TimeSpan limit)
    {
        var frequency = Clock.TimestampFrequency;
        var end = (long)(limit.TotalSeconds * frequency);
        while (Clock.GetTimestamp() < end)
        {
            var now = Clock.GetTimestamp();
            while (_actions.TryPeek(out _, out var key) && key.Item1 <= now)
            {
                _actions.Dequeue()();
            }

            while (Network.TryTakeDue(now, out var index, out var datagram))
            {
                if (index < 0)
                {
                    Sender.OnDatagram(datagram, now);
                }
                else if (_receivers[index].Session is { } session)
                {
                    session.OnDatagram(datagram, now);
                }
            }

            int length;
            while ((length = Sender.TryWriteNextPacket(_buffer, now)) > 0)
            {
                Network.Multicast(_buffer.AsSpan(0, length), now, frequency);
            }

            _events.AddRange(Sender.TakeEvents());
            if (Sender.IsFinished && SenderFinishedAt is null)
            {
                SenderFinishedAt = Clock.Elapsed;
            }

            var next = Math.Min(Sender.IsFinished ? long.MaxValue : Sender.NextWakeup(now), Network.NextEventTime);
            var allDone = Sender.IsFinished;
            foreach (var receiver in _receivers)
            {
                if (receiver.Session is not { } session)
                {
                    allDone &= receiver.Started && receiver.Crashes > 0 && !HasPendingActions();
                    continue;
                }

                while ((length = session.TryWriteStatus(_buffer, now)) > 0)
                {
                    Network.Unicast(receiver.Index, _buffer.AsSpan(0, length), now, frequency);
                }

                if (session.IsFinished)
                {
                    receiver.FinishedAt ??= Clock.Elapsed;
                }
                else
                {
                    allDone = false;
                }

                next = Math.Min(next, session.NextWakeup());
            }

            if (allDone && !HasPendingActions())
            {
                return true;
            }

            if (_actions.TryPeek(out _, out var nextAction))
            {
                next = Math.Min(next, nextAction.Item1);
            }

            Clock.AdvanceTo(Math.Max(next, now + 1));
        }

        return false;
    }

    public void Dispose()
    {
        Sender.Dispose();
        foreach (var receiver in _receivers)
        {
            receiver.Session?.Dispose();
        }
    }

    private bool HasPendingActions() => _actions.Count > 0;

    /// <summary>Runs <paramref name="action"/> at <paramref name="at"/> of simulated time (tests: dismiss, finish, ...).</summary>
    public void At(TimeSpan at, Action action) => _actions.Enqueue(action, ((long)(at.TotalSeconds * Clock.TimestampFrequency), _actionOrder++));

    private void Start(SimulatedReceiver receiver)
    {
        receiver.Started = true;
        var options = receiver.Options with { RandomSeed = receiver.Options.RandomSeed ?? (Seed * 1000) + (receiver.Index * 10) + receiver.Crashes };
        receiver.Session = new ReceiverSession(receiver.Store, options, Clock, completed => new InlineBlockProcessor(completed));
    }
}

/// <summary>One receiver of a simulation.</summary>
public sealed class SimulatedReceiver(int index, ReceiverOptions options, MemoryReceiverStore store)
{
    public int Index { get; } = index;
    public ReceiverOptions Options { get; internal set; } = options;
    public MemoryReceiverStore Store { get; internal set; } = store;
    public ReceiverSession? Session { get; internal set; }
    public bool Started { get; internal set; }
    public int Crashes { get; internal set; }
    public TimeSpan? FinishedAt { get; internal set; }
}
