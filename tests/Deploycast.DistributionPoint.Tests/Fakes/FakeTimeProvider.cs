namespace Deploycast.DistributionPoint.Tests.Fakes;

/// <summary>
/// A clock that moves only when a test advances it. Stands in for Microsoft.Extensions.TimeProvider.Testing's class
/// of the same name, which the package mirror does not serve; it has the members these tests use (the scheduler
/// creates no timers), so switching to the package is a change of using directive.
/// </summary>
internal sealed class FakeTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _lock = new();
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        lock (_lock)
        {
            _now += delta;
        }
    }

    public void SetUtcNow(DateTimeOffset value)
    {
        lock (_lock)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, _now);
            _now = value;
        }
    }
}
