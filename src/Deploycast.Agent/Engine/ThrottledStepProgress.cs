namespace Deploycast.Agent.Engine;

/// <summary>
/// A step's progress on its way to the site: at most one report per <see cref="MinimumInterval"/>, except that the first
/// report and the 100% always go, and in the order they were made (sends are chained, whatever thread reports).
/// </summary>
internal sealed class ThrottledStepProgress(Func<StepProgress, Task> send, TimeProvider time) : IProgress<StepProgress>
{
    /// <summary>The shortest time between two progress messages of one step.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(2);

    private readonly object _gate = new();
    private DateTimeOffset? _lastSent;
    private bool _completeSent;
    private Task _tail = Task.CompletedTask;

    public void Report(StepProgress value)
    {
        var percent = Math.Clamp(value.Percent, 0, 100);
        lock (_gate)
        {
            if (_completeSent)
            {
                return;
            }

            var now = time.GetUtcNow();
            if (percent == 100)
            {
                _completeSent = true;
            }
            else if (_lastSent is { } last && now - last < MinimumInterval)
            {
                return;
            }

            _lastSent = now;
            var report = value with { Percent = percent };
            _tail = _tail.ContinueWith(_ => send(report), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>Completes when every report accepted so far has been handed on. <c>send</c> must not throw.</summary>
    public Task FlushAsync()
    {
        lock (_gate)
        {
            return _tail;
        }
    }
}
