using System.Collections.Concurrent;
using Deploycast.DistributionPoint.Hosting;
using Deploycast.DistributionPoint.Sessions;
using Deploycast.Multicast.Receiving;
using Deploycast.Multicast.Sending;
using Deploycast.Multicast.Simulation;

namespace Deploycast.Console.Tests;

/// <summary>
/// Runs the distribution point's sessions over the in-memory network instead of UDP: the real sender and receiver
/// protocol cores (<see cref="SimulatedTransfer"/>), paced to the wall clock, so hundreds of clients cost no sockets
/// and no threads each. The scheduler, the event stream and the console see what they would see with real clients.
/// </summary>
/// <param name="content">The bytes a session sends (the package's file).</param>
/// <param name="rate">The sender's rate ceiling and floor in bits per second (slow enough to watch).</param>
/// <param name="symbolsPerBlock">Symbols per block: few make many small blocks, so progress moves smoothly.</param>
internal sealed class SimulatedMulticastSessions(Func<MulticastSessionPlan, byte[]> content, long rate, int symbolsPerBlock) : IMulticastSessionFactory
{
    private readonly ConcurrentDictionary<uint, SimulatedMulticastSession> _sessions = new();

    public IMulticastSession Start(MulticastSessionPlan plan)
    {
        var options = DistributionPointDefaults.SenderOptions with
        {
            SymbolsPerBlock = symbolsPerBlock,
            MaxRate = rate,
            MinRate = rate / 2,
            InitialRate = rate,
            MinReceivers = plan.MinReceivers,
            MaxWait = plan.MaxWait,
            Key = plan.Key,
        };
        var session = new SimulatedMulticastSession(new SimulatedTransfer(content(plan), options, seed: _sessions.Count + 1));
        _sessions[session.SessionId] = session;
        return session;
    }

    /// <summary>The running session with the sender's id <paramref name="sessionId"/>.</summary>
    public SimulatedMulticastSession this[uint sessionId] => _sessions[sessionId];
}

/// <summary>One simulated session: a thread moves simulated time along with the wall clock, 20 times a second.</summary>
internal sealed class SimulatedMulticastSession : IMulticastSession
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    private readonly SimulatedTransfer _transfer;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private int _eventsTaken;

    public SimulatedMulticastSession(SimulatedTransfer transfer)
    {
        _transfer = transfer;
        SessionId = transfer.Sender.SessionId;
        _thread = new Thread(Run) { IsBackground = true, Name = $"simulated session {SessionId:x8}" };
        _thread.Start();
    }

    public uint SessionId { get; }

    public bool IsFinished
    {
        get
        {
            lock (_lock)
            {
                return _transfer.Sender.IsFinished;
            }
        }
    }

    public string? Failure
    {
        get
        {
            lock (_lock)
            {
                return _transfer.Sender.Failure;
            }
        }
    }

    public SenderSummary? Snapshot
    {
        get
        {
            lock (_lock)
            {
                return _transfer.Sender.GetSummary(_transfer.Clock.GetTimestamp());
            }
        }
    }

    /// <summary>A client the scheduler told to join starts receiving now, over a link with <paramref name="loss"/>.</summary>
    public void AddReceiver(uint receiverId, double loss)
    {
        lock (_lock)
        {
            var options = ReceiverOptions.Default with { ReceiverId = receiverId, SessionId = SessionId };
            _transfer.AddReceiver(new LinkProfile { Loss = loss }, options: options, startAt: _transfer.Clock.Elapsed);
        }
    }

    public IReadOnlyList<ReceiverEvent> TakeEvents()
    {
        lock (_lock)
        {
            var events = _transfer.Events.Skip(_eventsTaken).ToList();
            _eventsTaken += events.Count;
            return events;
        }
    }

    public void Dismiss(uint receiverId, bool fallBackToUnicast)
    {
        lock (_lock)
        {
            _transfer.Sender.Dismiss(receiverId, fallBackToUnicast);
        }
    }

    public void Stop()
    {
        lock (_lock)
        {
            _transfer.Sender.Finish();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _transfer.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!_stop.IsCancellationRequested)
        {
            lock (_lock)
            {
                _transfer.Run(TimeProvider.System.GetElapsedTime(started));
            }

            _stop.Token.WaitHandle.WaitOne(Step);
        }
    }
}
