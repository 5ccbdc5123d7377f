using Deploycast.DistributionPoint.Sessions;

namespace Deploycast.DistributionPoint.Tests.Fakes;

/// <summary>Records every session it starts; can be told to fail the next start.</summary>
internal sealed class FakeMulticastSessionFactory : IMulticastSessionFactory
{
    private readonly Lock _lock = new();
    private readonly List<FakeMulticastSession> _started = [];
    private uint _nextId = 0x5E55_0001;

    public string? FailNextStart { get; set; }

    public IReadOnlyList<FakeMulticastSession> Started
    {
        get
        {
            lock (_lock)
            {
                return _started.ToList();
            }
        }
    }

    public FakeMulticastSession Last => Started[^1];

    public FakeMulticastSession ForSession(uint sessionId) => Started.Single(s => s.SessionId == sessionId);

    public IMulticastSession Start(MulticastSessionPlan plan)
    {
        lock (_lock)
        {
            if (FailNextStart is { } failure)
            {
                FailNextStart = null;
                throw new InvalidOperationException(failure);
            }

            var session = new FakeMulticastSession(plan, _nextId++);
            _started.Add(session);
            return session;
        }
    }
}
