using Deploycast.DistributionPoint.Sessions;
using Deploycast.Multicast.Sending;

namespace Deploycast.DistributionPoint.Tests.Fakes;

/// <summary>A sender the test drives: it injects receiver events and reports, and reads what the scheduler did.</summary>
internal sealed class FakeMulticastSession(MulticastSessionPlan plan, uint sessionId) : IMulticastSession
{
    private readonly Lock _lock = new();
    private readonly List<ReceiverEvent> _events = [];
    private readonly List<(uint ReceiverId, bool FallBackToUnicast)> _dismissals = [];

    public MulticastSessionPlan Plan { get; } = plan;

    /// <summary>The key as the plan carried it when the session started (the scheduler clears its own copy at the end).</summary>
    public byte[]? KeyAtStart { get; } = plan.Key?.ToArray();

    public uint SessionId { get; } = sessionId;
    public bool IsFinished { get; set; }
    public string? Failure { get; set; }
    public SenderSummary? Snapshot { get; set; }
    public int StopCalls { get; private set; }
    public int DisposeCalls { get; private set; }

    public IReadOnlyList<(uint ReceiverId, bool FallBackToUnicast)> Dismissals
    {
        get
        {
            lock (_lock)
            {
                return _dismissals.ToList();
            }
        }
    }

    public void Raise(ReceiverEventKind kind, uint receiverId, string detail = "from the test")
    {
        lock (_lock)
        {
            _events.Add(new ReceiverEvent(kind, receiverId, detail));
        }
    }

    /// <summary>Sets the sender's latest reports.</summary>
    public void Report(params ReceiverReport[] receivers) =>
        Snapshot = new SenderSummary(1_000_000, TimeSpan.FromSeconds(10), 1000, 1_400_000, 900, 50, 50, 100, 0, 50_000_000, 0, receivers);

    public static ReceiverReport Receiver(uint receiverId, long blocksDone, double rate, bool slow = false, long totalBlocks = 100, TimeSpan? completedAfter = null) =>
        new(receiverId, completedAfter is null ? "receiving" : "complete", blocksDone, totalBlocks, 0.01, rate, 0.01, TimeSpan.Zero, null, slow, completedAfter);

    public IReadOnlyList<ReceiverEvent> TakeEvents()
    {
        lock (_lock)
        {
            var events = _events.ToList();
            _events.Clear();
            return events;
        }
    }

    public void Dismiss(uint receiverId, bool fallBackToUnicast)
    {
        lock (_lock)
        {
            _dismissals.Add((receiverId, fallBackToUnicast));
        }
    }

    public void Stop() => StopCalls++;

    public void Dispose() => DisposeCalls++;
}
